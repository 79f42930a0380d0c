/**
 * A dialog's focus: it moves into the dialog when it opens (`use:focusOnOpen` on the element that
 * takes it) and back to what opened it when it closes (`returnFocusOnClose()` in the script).
 */
export function returnFocusOnClose(): void {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  $effect(() => () => {
    if (opener?.isConnected) opener.focus();
  });
}

export function focusOnOpen(node: HTMLElement): void {
  node.focus();
}

/** A dialog's keydown handler: Escape closes it (and goes no further). */
export function closeOnEscape(onclose: () => void): (event: KeyboardEvent) => void {
  return (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    onclose();
  };
}
