/**
 * What a physiology model is, for the accuracy evaluation (simulator/accuracy/) and anything else
 * that needs what an infrared sensor sees of a person. A model is pluggable: the evaluation runs
 * with `--physiology <name>` (simulator/people/models.ts lists them), and a second, independently
 * written family only has to implement this interface.
 *
 * The evaluation owns everything that is not the person: who comes to a lane from where and for
 * how long (simulator/accuracy/scenario.ts), the core temperatures (healthy and febrile), the lane's
 * device (its bias, its die in a heated enclosure, noise, emissivity: simulator/accuracy/device.ts).
 * The model owns the person: their hidden traits and how their forehead follows their surroundings.
 *
 * Rules a model must keep:
 * - deterministic: every random draw happens in makePerson() (from the Rng it is given), so the
 *   same person can be replayed along the same history (the physical bound does that, with
 *   another core temperature, through withCore());
 * - states are values: advance() returns a new state and never changes the one it was given (the
 *   evaluation branches one attempt-1 state into several rests);
 * - no import of protocol/body-estimate.ts or protocol/policy.ts: a model that knows the
 *   estimator can flatter it.
 */
import type { LaneContext } from "@checkpoint/protocol";
import type { Rng } from "../random.ts";

/** Where a person is: what their forehead exchanges heat with. */
export interface Surroundings {
  /** Air temperature, °C. */
  airC: number;
  /** Mean radiant temperature of what the forehead faces (walls, cabin, sky), °C. */
  radiantC: number;
  /** Air speed at the face, m/s (about 0.1 indoors and in a car). */
  windMs: number;
}

export interface PhysiologyModel<P = object, S = object> {
  /** The name `--physiology` takes. */
  readonly name: string;
  /** One line: the model's functional form, for the result file. */
  readonly description: string;
  /**
   * A person with this core temperature and their own hidden traits (skin, tissue, vessels…).
   * `context` is the lane's context, for a model whose people differ by context (most don't).
   */
  makePerson(rng: Rng, coreC: number, context: LaneContext): P;
  /** The same person (same traits) with another core temperature. */
  withCore(person: P, coreC: number): P;
  /** The person's state after a long time (an hour or more) in `where`. */
  settle(person: P, where: Surroundings): S;
  /** The state after `minutes` in `where`, starting from `state`. */
  advance(person: P, state: S, where: Surroundings, minutes: number): S;
  /**
   * The forehead's surface temperature, °C, including the person's own skin offset: what a perfect
   * contact thermometer on the spot the lane aims at would read. (Emissivity and the sensor are
   * the device's part.)
   */
  foreheadC(person: P, state: S): number;
  /** The person's skin offset included in foreheadC(), °C (for the physical bound only). */
  skinOffsetC(person: P): number;
  /** The population's standard deviation of that offset, °C (for the physical bound only). */
  readonly skinOffsetSdC: number;
}

/** Any model, whatever its person and state types (methods are bivariant in their parameters). */
export type AnyPhysiologyModel = PhysiologyModel<object, object>;
