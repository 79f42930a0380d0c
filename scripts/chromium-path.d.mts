export function chromiumPathOrNull(): string | null;
export const chromiumArgs: string[];
