/**
 * The demo's output. Scenes that run beside the live progress (the HTTP and Airflow ones) report
 * through `note`: on a terminal the progress table is redrawn in place with cursor moves, so a line
 * written in the middle of it would be overwritten; notes wait for the table's next redraw instead.
 * Without a terminal every line is printed at once, stamped with the time like the progress lines.
 */
export class Narrator {
  private readonly queued: string[] = [];
  private liveTable = false;
  private hushed = false;

  constructor(
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
    readonly tty: boolean = process.stdout.isTTY === true,
  ) {}

  /** A plain line (headings, the summary). */
  say(line: string): void {
    this.write(`${line}\n`);
  }

  /** From now on notes are dropped: the demo is stopping, and scenes cut short by it would only report that. */
  hush(): void {
    this.hushed = true;
    this.queued.length = 0;
  }

  /** A line about something that just happened, in the progress's style. */
  note(line: string): void {
    if (this.hushed) return;
    if (this.tty && this.liveTable) this.queued.push(line);
    else this.say(this.stamped(line));
  }

  stamped(line: string): string {
    return this.tty ? line : `${new Date().toISOString().slice(11, 19)}  ${line}`;
  }

  /** A live table starts (true) or ends (false) being redrawn. */
  setLiveTable(live: boolean): void {
    this.liveTable = live;
    if (!live) this.flush();
  }

  /** Prints the notes that waited; true if there were any (the table must then be drawn afresh below them). */
  flush(): boolean {
    const lines = this.queued.splice(0);
    for (const line of lines) this.say(line);
    return lines.length > 0;
  }
}
