export function chromiumPathOrNull(): string | null;
