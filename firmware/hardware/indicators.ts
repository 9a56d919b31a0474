/**
 * Lane indicators: green, yellow and red LEDs and an active buzzer, each on a digital pin (an
 * active buzzer sounds when its pin is high; tones over Firmata do not work). Patterns are data;
 * the player writes pins through a port, so it is tested without a board.
 */
export type Light = "green" | "yellow" | "red" | "buzzer";
export type PatternName =
  | "idle"
  | "measuring"
  | "pass"
  | "retest"
  | "fever"
  | "invalid"
  | "remeasure"
  | "fault"
  | "full"
  | "refused"
  | "code-red"
  | "code-yellow"
  | "check-code";

interface Step {
  on: Light[];
  ms: number;
}

/** Each pattern: steps played once (then all off), or looped until the next pattern. */
export const PATTERNS: Record<PatternName, { steps: Step[]; loop: boolean }> = {
  idle: { steps: [{ on: [], ms: 1000 }], loop: false },
  measuring: {
    steps: [
      { on: ["yellow"], ms: 150 },
      { on: [], ms: 150 },
    ],
    loop: true,
  },
  pass: { steps: [{ on: ["green"], ms: 2500 }], loop: false },
  retest: { steps: [{ on: ["yellow"], ms: 4000 }], loop: false },
  fever: {
    steps: [
      { on: ["red", "buzzer"], ms: 300 },
      { on: ["red"], ms: 200 },
      { on: ["red", "buzzer"], ms: 300 },
      { on: ["red"], ms: 200 },
      { on: ["red", "buzzer"], ms: 300 },
      { on: ["red"], ms: 10_000 },
    ],
    loop: false,
  },
  invalid: {
    steps: [
      { on: ["yellow"], ms: 300 },
      { on: [], ms: 300 },
      { on: ["yellow"], ms: 300 },
    ],
    loop: false,
  },
  remeasure: {
    steps: [
      { on: ["yellow"], ms: 300 },
      { on: [], ms: 300 },
      { on: ["yellow"], ms: 300 },
    ],
    loop: false,
  },
  fault: {
    steps: [
      { on: ["red"], ms: 500 },
      { on: [], ms: 1500 },
    ],
    loop: true,
  },
  full: {
    steps: [
      { on: ["red", "yellow"], ms: 500 },
      { on: [], ms: 500 },
    ],
    loop: true,
  },
  /** A red health code: stopped like a fever (the buzzer calls the staff), whatever the reading. */
  "code-red": {
    steps: [
      { on: ["red", "buzzer"], ms: 300 },
      { on: ["red"], ms: 200 },
      { on: ["red", "buzzer"], ms: 300 },
      { on: ["red"], ms: 200 },
      { on: ["red", "buzzer"], ms: 300 },
      { on: ["red"], ms: 10_000 },
    ],
    loop: false,
  },
  /** A yellow health code: stopped too (yellow and the buzzer), the staff check it. */
  "code-yellow": {
    steps: [
      { on: ["yellow", "buzzer"], ms: 300 },
      { on: ["yellow"], ms: 200 },
      { on: ["yellow", "buzzer"], ms: 300 },
      { on: ["yellow"], ms: 10_000 },
    ],
    loop: false,
  },
  /**
   * A normal reading but the code's colour could not be learnt: green and yellow together, no
   * buzzer (nobody is stopped), while the staff check the code by hand. Never green alone.
   */
  "check-code": {
    steps: [
      { on: ["green", "yellow"], ms: 600 },
      { on: [], ms: 300 },
      { on: ["green", "yellow"], ms: 4000 },
    ],
    loop: false,
  },
  /** A code the lane does not take (unknown, mistyped, a kind this lane does not accept). */
  refused: {
    steps: [
      { on: ["red"], ms: 300 },
      { on: [], ms: 300 },
      { on: ["red"], ms: 300 },
    ],
    loop: false,
  },
};

export type PinMap = Record<Light, number>;

export class Indicators {
  current: PatternName = "idle";
  readonly state: Record<Light, 0 | 1> = { green: 0, yellow: 0, red: 0, buzzer: 0 };
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pins: PinMap,
    private write: ((pin: number, value: 0 | 1) => void) | null = null,
  ) {}

  /** Binds to a (new) board: sets the pins as outputs and shows the current pattern again. */
  attach(pinMode: (pin: number) => void, write: (pin: number, value: 0 | 1) => void): void {
    for (const pin of Object.values(this.pins)) pinMode(pin);
    this.write = write;
    this.show(this.current);
  }

  detach(): void {
    this.write = null;
  }

  show(name: PatternName): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current = name;
    const { steps, loop } = PATTERNS[name];
    const play = (i: number) => {
      const step = steps[i];
      if (!step) {
        if (loop) return play(0);
        this.set([]);
        return;
      }
      this.set(step.on);
      this.timer = setTimeout(() => play(i + 1), step.ms);
    };
    play(0);
  }

  private set(on: Light[]): void {
    for (const light of Object.keys(this.state) as Light[]) {
      const value: 0 | 1 = on.includes(light) ? 1 : 0;
      this.state[light] = value;
      this.write?.(this.pins[light], value);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.set([]);
  }
}
