import { TesseraProvider } from '@tessera/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { session } from './session.js';
import './styles.css';

// The kit's browser session (session.ts): the refresh token in the server's HttpOnly cookie, tabs in sync.
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <TesseraProvider session={session}>
      <App />
    </TesseraProvider>
  </StrictMode>,
);
