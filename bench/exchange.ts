/** One webhook request the recording consumer answered: when (its own clock, ms), and as sent. */
export interface Exchange {
  start: number;
  end: number;
  path: string;
  headers: Record<string, string>;
  body: string;
}
