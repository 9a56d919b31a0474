/**
 * The main physiology of the accuracy evaluation ("two-node"): the forehead as two thermal nodes
 * between the core and the surroundings, with radiation, wind, local vasomotion and transients. It
 * is written from the physics below, not from the device's estimator (protocol/body-estimate.ts):
 * nothing here knows the estimator's k, and the effective weight h/K it implies differs from person
 * to person, with the wind and with the cold.
 *
 *   core ──K_b (perfusion, × (1 − depth·tone))── tissue node D (C_d) ──K_sd (conduction)── skin node S (C_s)
 *   S ── h_c (convection, wind) + h_r (radiation to the radiant temperature) ── surroundings
 *
 *   C_s dS/dt = K_sd (D − S) − h_c (S − T_air) − h_r (S − T_radiant)
 *   C_d dD/dt = K_b (T_core − D) − K_sd (D − S)
 *
 * - Convection: h_c = max(3.5, 8.3·v^0.6) W/m²K (v in m/s; natural convection about 3–4 still air;
 *   the forced term as ISO 7730:2005 gives it for a person, also used for the face in wind-chill
 *   work: Osczevski & Bluestein, Bull Am Meteorol Soc 2005).
 * - Radiation: Stefan–Boltzmann, linearised per half minute, h_r = 4εσT_m³ with skin emissivity
 *   0.98 (Steketee, Phys Med Biol 1973): about 5–6 W/m²K. A clear night sky makes the radiant
 *   temperature outdoors lower than the air (simulator/accuracy/scenario.ts).
 * - Tissue: skin conductivity about 0.37 W/m·K, density 1100 kg/m³, specific heat 3500 J/kg·K
 *   (Duck, Physical Properties of Tissue, 1990): a 1.5 mm skin node (C_s ≈ 5.8 kJ/m²K) over a
 *   3 mm perfused node (C_d ≈ 11 kJ/m²K), K_sd ≈ 200 W/m²K. Perfusion conductance K_b ≈ 65 W/m²K
 *   gives a forehead of about 34.3 °C in a 22 °C room (contact forehead temperatures of 34–35 °C
 *   indoors: e.g. Fisher et al., Sensors 2022) and 25–30 °C in −10 °C air. Person to person K_b
 *   varies ×/÷ 1.16 and K_sd ×/÷ 1.1 (log-normal), which with the skin offset below puts foreheads
 *   of the same core temperature in a 22 °C room 0.31 °C apart (SD), the "about 0.3 °C" infrared
 *   thermometry reviews report (Chen et al., Sensors 2020; Dzien et al., Med Sci Monit 2021). The
 *   same people are 1–1.8 °C apart in −10 °C to 0 °C air: the cold multiplies their differences.
 * - Local vasomotion: the cheek's tissue resistance rises as the skin cools (Osczevski, DCIEM
 *   94-47, 1994); the forehead vasoconstricts less than the rest of the face (LeBlanc et al., J Appl
 *   Physiol 1976; Rasch & Cabanac, Acta Physiol Scand 1993). Here a tone of 0–1 scales K_b down by
 *   up to `vasoDepth` (20–50 %) as the tissue node falls from 32 to 22 °C; the vessels close within
 *   about a minute and re-open only over 3–8 minutes.
 * - Transients that follow (measured on this model, −10 °C air with a 1.2 m/s wind and a 22 °C
 *   room, the mean of 200 people): cooling and rewarming each have a fast mode of tens of seconds
 *   (the skin node) and a slow one of about 4 min (the tissue node), so either way half the change
 *   is done in about 3 min (2.8 min cooling, 3.0 min rewarming). They part in the tail: outdoors
 *   the vessels close as the tissue cools, so the cold forehead keeps sinking and comes within
 *   0.5 °C of its cold state only after about 18 min (faces cool fast for a few minutes, then keep
 *   decaying: LeBlanc et al. 1976; Briggs et al., Int J Biometeorol 2017); indoors they re-open
 *   over 3–8 min, and the forehead comes within 0.5 °C of its room state after about 13 min
 *   (forehead infrared readings of children who walked in from the cold needed at least 10 min to
 *   settle: Erenberk et al., Pediatr Int 2013). The forehead vasoconstricts little (Rasch &
 *   Cabanac), which is why the two directions differ in their tails more than in their halves.
 * - Skin offset: at the same core and surroundings foreheads still differ (sweat, hair, make-up,
 *   the spot aimed at): normal, SD 0.2 °C, on top of the spread the tissue parameters give.
 */
import type { LaneContext } from "@checkpoint/protocol";
import type { Rng } from "../random.ts";
import type { PhysiologyModel, Surroundings } from "./model.ts";

export interface TwoNodePerson {
  coreC: number;
  /** Core → tissue perfusion conductance with open vessels, W/m²K. */
  kb: number;
  /** Tissue → skin conduction, W/m²K. */
  ksd: number;
  /** Heat capacities of the skin and tissue nodes, J/m²K. */
  cs: number;
  cd: number;
  offsetC: number;
  /** Largest share of K_b the vessels take away in the cold. */
  vasoDepth: number;
  /** Time constants of the vessels closing and re-opening, minutes. */
  constrictMin: number;
  dilateMin: number;
}

export interface TwoNodeState {
  /** Skin node, tissue node, °C. */
  s: number;
  d: number;
  /** Vasomotor tone, 0 (open) … 1 (closed as far as this person's vessels close). */
  tone: number;
}

const SIGMA = 5.670374e-8;
const SKIN_EMISSIVITY = 0.98;
const SUBSTEP_MIN = 0.5;

export function convectionW(windMs: number): number {
  return Math.max(3.5, 8.3 * Math.max(0, windMs) ** 0.6);
}

function radiationW(skinC: number, radiantC: number): number {
  const t = (skinC + radiantC) / 2 + 273.15;
  return 4 * SKIN_EMISSIVITY * SIGMA * t * t * t;
}

function toneTarget(tissueC: number): number {
  return Math.min(1, Math.max(0, (32 - tissueC) / 10));
}

/** The linear system in `where` with the tone frozen: matrix A and the forcing b (per second). */
function system(p: TwoNodePerson, x: TwoNodeState, where: Surroundings, hc: number) {
  const kb = p.kb * (1 - p.vasoDepth * x.tone);
  const hr = radiationW(x.s, where.radiantC);
  const h = hc + hr;
  const ta = (hc * where.airC + hr * where.radiantC) / h;
  const a11 = -(p.ksd + h) / p.cs;
  const a12 = p.ksd / p.cs;
  const a21 = p.ksd / p.cd;
  const a22 = -(p.ksd + kb) / p.cd;
  const b1 = (h * ta) / p.cs;
  const b2 = (kb * p.coreC) / p.cd;
  const det = a11 * a22 - a12 * a21;
  // Steady state: A·x* = −b.
  const sStar = (-b1 * a22 + b2 * a12) / det;
  const dStar = (-a11 * b2 + a21 * b1) / det;
  return { a11, a12, a21, a22, det, sStar, dStar };
}

function step(
  p: TwoNodePerson,
  x: TwoNodeState,
  where: Surroundings,
  hc: number,
  minutes: number,
): TwoNodeState {
  const { a11, a12, a21, a22, det, sStar, dStar } = system(p, x, where, hc);
  const t = minutes * 60;
  const half = (a11 + a22) / 2;
  const root = Math.sqrt(Math.max(0, half * half - det));
  const l1 = half + root;
  const l2 = half - root;
  const e1 = Math.exp(l1 * t);
  const e2 = Math.exp(l2 * t);
  const span = l1 - l2;
  // exp(A t) = (e1 (A − l2 I) − e2 (A − l1 I)) / (l1 − l2)
  const m11 = (e1 * (a11 - l2) - e2 * (a11 - l1)) / span;
  const m12 = ((e1 - e2) * a12) / span;
  const m21 = ((e1 - e2) * a21) / span;
  const m22 = (e1 * (a22 - l2) - e2 * (a22 - l1)) / span;
  const ys = x.s - sStar;
  const yd = x.d - dStar;
  const s = sStar + m11 * ys + m12 * yd;
  const d = dStar + m21 * ys + m22 * yd;
  const target = toneTarget(d);
  const tau = target > x.tone ? p.constrictMin : p.dilateMin;
  const tone = x.tone + (target - x.tone) * (1 - Math.exp(-minutes / tau));
  return { s, d, tone };
}

export const TWO_NODE: PhysiologyModel<TwoNodePerson, TwoNodeState> = {
  name: "two-node",
  description:
    "forehead as skin and perfused-tissue nodes between core and surroundings: convection (wind), linearised radiation, local vasomotion with slow re-opening; exact exponential steps of 30 s",
  skinOffsetSdC: 0.2,

  makePerson(rng: Rng, coreC: number, _context: LaneContext): TwoNodePerson {
    return {
      coreC,
      kb: 65 * Math.exp(rng.normal(0, 0.15)),
      ksd: 200 * Math.exp(rng.normal(0, 0.1)),
      cs: 5800 * Math.exp(rng.normal(0, 0.15)),
      cd: 11_000 * Math.exp(rng.normal(0, 0.2)),
      offsetC: rng.normal(0, 0.2),
      vasoDepth: rng.uniform(0.2, 0.5),
      constrictMin: rng.uniform(0.5, 1.5),
      dilateMin: rng.uniform(3, 8),
    };
  },

  withCore(person: TwoNodePerson, coreC: number): TwoNodePerson {
    return { ...person, coreC };
  },

  settle(p: TwoNodePerson, where: Surroundings): TwoNodeState {
    const hc = convectionW(where.windMs);
    let x: TwoNodeState = { s: 33, d: 35, tone: 0 };
    for (let i = 0; i < 30; i++) {
      const { sStar, dStar } = system(p, x, where, hc);
      x = { s: sStar, d: dStar, tone: x.tone + 0.5 * (toneTarget(dStar) - x.tone) };
    }
    return x;
  },

  advance(p: TwoNodePerson, state: TwoNodeState, where: Surroundings, minutes: number): TwoNodeState {
    const hc = convectionW(where.windMs);
    let x = state;
    let left = Math.max(0, minutes);
    while (left > 1e-9) {
      const dt = Math.min(SUBSTEP_MIN, left);
      x = step(p, x, where, hc, dt);
      left -= dt;
    }
    return x;
  },

  foreheadC(p: TwoNodePerson, x: TwoNodeState): number {
    return x.s + p.offsetC;
  },

  skinOffsetC(p: TwoNodePerson): number {
    return p.offsetC;
  },
};
