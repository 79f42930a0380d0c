export function electronBinary(): { path?: string; reason?: string };
