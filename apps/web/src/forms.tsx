import { useSettings } from '@tessera/react';
import {
  useCallback,
  useEffect,
  useId,
  useState,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
} from 'react';
import { useTranslation } from 'react-i18next';
import { toFormErrors, type FormErrors } from './errors.js';
import { i18n } from './i18n/index.js';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  name: string;
  error?: string | undefined;
  hint?: ReactNode;
}

/** A labelled input whose hint and error are announced with it. */
export function Field({ label, name, error, hint, ...input }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        {...input}
      />
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
      {hint && (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}

/** The email input of every form: one label, type and autofill hint unless told otherwise. */
export function EmailField(props: Omit<FieldProps, 'label' | 'name' | 'type' | 'required'>) {
  const { t } = useTranslation();
  return <Field label={t('form.email')} name="email" type="email" autoComplete="email" required {...props} />;
}

/** An input for the password someone has now (sign-in, or confirming a sensitive change). */
export function CurrentPasswordField(props: Omit<FieldProps, 'type' | 'autoComplete' | 'required'>) {
  return <Field type="password" autoComplete="current-password" required {...props} />;
}

/** The password policy (its length from the server's settings), with a live count so people see when they are there. */
export function PasswordHint({ length }: { length: number }) {
  const { t } = useTranslation();
  const min = useSettings().data?.passwordMinLength;
  if (min === undefined) return <>{t('form.passphraseAdvice')}</>;
  return (
    <>
      {t('form.atLeast', { count: min })} {t('form.passphraseAdvice')}{' '}
      <span className={length >= min ? 'count count-ok' : 'count'}>
        {length} / {min}
      </span>
    </>
  );
}

/** A new-password input that shows the policy and counts as people type. */
export function NewPasswordField(
  props: Omit<FieldProps, 'type' | 'autoComplete' | 'required' | 'hint' | 'onChange'>,
) {
  const [length, setLength] = useState(0);
  return (
    <Field
      {...props}
      type="password"
      autoComplete="new-password"
      required
      hint={<PasswordHint length={length} />}
      onChange={(event) => setLength(event.currentTarget.value.length)}
    />
  );
}

/** The form-wide error, announced when it appears. */
export function FormAlert({ message, children }: { message?: string | undefined; children?: ReactNode }) {
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert" tabIndex={-1} data-form-alert>
      <p>{message}</p>
      {children}
    </div>
  );
}

/**
 * State of one form: pending while submitting, errors from the server mapped to its
 * fields, and focus moved to the first error so keyboard and screen-reader users land on it.
 */
export function useForm(fields: readonly string[]) {
  // A callback ref kept in state: the element is read in effects and handlers only.
  const [element, ref] = useState<HTMLFormElement | null>(null);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [pending, setPending] = useState(false);
  const [focusTick, setFocusTick] = useState(0);

  useEffect(() => {
    if (focusTick === 0) return;
    const target = element?.querySelector<HTMLElement>('[aria-invalid="true"], [data-form-alert]');
    target?.focus();
  }, [focusTick, element]);

  const fail = useCallback((next: FormErrors) => {
    setErrors(next);
    setFocusTick((tick) => tick + 1);
  }, []);

  const fieldsKey = fields.join(',');
  const submit = useCallback(
    (action: (data: FormData) => Promise<void> | void) => (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      if (pending) return;
      const data = new FormData(event.currentTarget);
      setPending(true);
      setErrors({ fields: {} });
      // React ignores what a handler returns: the submission settles on its own, errors shown in the form.
      void (async () => {
        try {
          await action(data);
        } catch (error) {
          fail(error instanceof FormProblem ? error.errors : toFormErrors(error, fieldsKey.split(',')));
        } finally {
          setPending(false);
        }
      })();
    },
    [pending, fail, fieldsKey],
  );

  return { ref, element, errors, pending, submit, fail, reset: () => setErrors({ fields: {} }) };
}

/** A form value as a string ('' when missing). */
export function text(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
}

/** The new password of a form that asks for it twice; a mismatch is reported on `confirm`. */
export function confirmedPassword(data: FormData, name: string, confirm = 'confirm'): string {
  const password = text(data, name);
  if (password !== text(data, confirm))
    throw new FormProblem({ fields: { [confirm]: i18n.t('form.passwordsDiffer') } });
  return password;
}

/** Thrown inside a submit action to report a problem found before calling the server. */
export class FormProblem extends Error {
  constructor(readonly errors: FormErrors) {
    super(errors.form ?? Object.values(errors.fields)[0] ?? i18n.t('form.invalid'));
  }
}
