import { create } from 'qrcode';
import { useMemo } from 'react';

/** White modules around the symbol, as the QR specification asks, so cameras find its edge. */
const QUIET_ZONE = 4;

/**
 * A QR code drawn as an SVG path from the symbol's modules: no canvas, no image URL (the
 * page's CSP admits images from this origin only), and sharp at any size.
 */
export function QrCode({ value, label }: { value: string; label: string }) {
  const { size, path } = useMemo(() => {
    const { modules } = create(value, { errorCorrectionLevel: 'M' });
    const squares: string[] = [];
    for (let row = 0; row < modules.size; row += 1)
      for (let col = 0; col < modules.size; col += 1)
        if (modules.get(row, col)) squares.push(`M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`);
    return { size: modules.size + 2 * QUIET_ZONE, path: squares.join('') };
  }, [value]);
  return (
    <svg
      className="qr-code"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
