/** A mistake of the caller's, said in one line; `status` is the exit status to leave with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
