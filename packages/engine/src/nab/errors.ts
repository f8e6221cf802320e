/** Bad NAB input (data layout, result files, detector output): the user's problem, printed as one line. */
export class NabError extends Error {
  override name = 'NabError';
}
