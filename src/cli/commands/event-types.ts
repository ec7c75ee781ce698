/** `herald event-types import FILE | export [FILE]`: the event catalog as code. */
export async function runEventTypesCommand(_args: string[]): Promise<number> {
  process.stderr.write('herald: event-types import/export is not available in this build yet\n');
  return 2;
}
