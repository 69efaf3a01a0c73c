/**
 * A setting the mock cannot take, named as the user wrote it (`--processing-ms`,
 * `PULSE_MOCK_PROCESSING_MS`, `"processingMs" in pulse-mock.config.json`, or the option
 * `processingMs` passed in code). `message` starts with `[pulse-mock]`; `problem` is the bare line.
 *
 * @example
 * await createPulseMock({ processingMs: -5 });
 * // throws ConfigError: [pulse-mock] invalid option processingMs: -5; expected an integer number of milliseconds from 0 to 86400000
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problem: string) {
    super(`[pulse-mock] ${problem}`);
  }
}
