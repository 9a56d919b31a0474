/**
 * "vasomotor": a second physiology family (simulator/people/model.ts), written apart from the
 * screening estimator as a robustness check: its form is not the main model's, and nothing in it was
 * fitted to the lanes' estimator or to the evaluation's results.
 *
 * Functional form, per square metre of forehead:
 * - three layers in series from the core out: the core (the evaluation's core temperature, held: a
 *   heat store far larger than the forehead's over the minutes of a journey), a deep node (the
 *   subcutaneous fat and frontalis with half the frontal bone's heat capacity) and a skin node (the
 *   dermis and epidermis the lane sees). Core→deep conducts through the frontal bone and half the
 *   fat, deep→skin through half the fat and half the skin (conductivities: bone 0.32, fat and
 *   muscle 0.25, skin 0.37 W/m·K; volumetric heat capacities 2.3, 2.6 and 3.7 MJ/m³·K: the usual
 *   tissue tables, e.g. Duck, "Physical properties of tissue", 1990). A fixed perfusion of the deep
 *   tissue (6–14 W/m²·K of arterial blood at core temperature) adds to the core→deep conduction.
 * - the skin's own blood flow brings arterial blood at core temperature to the skin node, as a
 *   conductance under vasomotor control, and this is the nonlinear part: a logistic controller
 *   K_skin = (K_min + (K_max − K_min)·σ((e − e₀)/w))·2^((T_skin − 34)/10), the last factor being
 *   the local temperature's direct effect on the vessels (Q10 ≈ 2, Stolwijk 1971). Its drive is a
 *   thermoregulatory error in core-equivalent °C, e = (T_core − T_set) + g·(T_sig − T_ref), with
 *   T_sig = 0.8·(the clothed body's mean skin) + 0.2·(the forehead's skin): warmth of the core
 *   dilates, cold skin constricts (core-to-skin weighting of roughly 3:1 to 7:1 per °C, g = 0.15–0.35:
 *   Frank et al., J Appl Physiol 1999, weigh the core several times the skin, as far as I remember:
 *   the sources here are cited from memory, their numbers used as ranges). K_min 14, K_max 120
 *   W/m²·K medians: blood at about 4 MJ/m³·K perfusing a 2 mm layer at roughly 10 to 90 ml/100
 *   ml/min (whole-body skin flow reaches about 7 L/min when fully dilated: Johnson & Kellogg's
 *   reviews of cutaneous blood flow); the floor is high because the head constricts little in the
 *   cold (Froese & Burton 1957: the head's heat loss stays nearly linear in the air temperature).
 * - the clothed body's mean skin temperature is a fourth, slow state: it relaxes (time constant
 *   8–30 min, median 15) towards a passive divider between core and operative temperature through
 *   tissue insulation (from the person's fat), clothing (0.5 clo in warm air up to 2.3 clo in the
 *   cold, scaled per person) and the air layer. So a body chilled outdoors keeps the forehead's
 *   vessels constricted for a while after coming in, and rewarming lags.
 * - exchange with the surroundings: convection h_c = (h_nat³ + h_forced³)^⅓ with natural convection
 *   1.42·(ΔT/L)^¼ (L = 0.12 m, a vertical plate in laminar flow) and forced 7.5–14 (median 10.5)
 *   ·v^0.6 W/m²·K (the head's segmental coefficients run above the whole body's 8.3·v^0.6: de Dear
 *   et al. 1997); full Stefan–Boltzmann radiation, emissivity 0.98, to the radiant temperature;
 *   evaporation: diffusion through the skin (Fanger's 3.05·10⁻³·(p_skin − p_air) W/m², Pa, scaled
 *   0.6–1.4 per person) plus sweating, S_max·σ((e − e_sweat)/0.15) with S_max 60–150 W/m² (the
 *   forehead sweats early and much), both capped by what the air takes, 16.5·h_c·(p_skin − p_air)
 *   (the Lewis relation, kPa), air at 50 % relative humidity.
 * - fever: the set point is T_set = T_core + δ. For a healthy person δ is their own small error
 *   (normal, SD 0.15 °C); as the core goes from 37.3 to 38 °C a phase shift is blended in, drawn
 *   once per person: 60 % at a plateau (no shift: vessels follow the raised core and warm skin,
 *   dilated), 20 % rising (set point 0.3–1.2 °C above the core: constricted, cool skin, the chill
 *   phase), 20 % falling (0.3–1.0 °C below: after an antipyretic, dilated and sweating). The phase
 *   stays during the journey (the core is the evaluation's and is held).
 * - the spot the lane aims at differs from the modelled skin node by a per-person offset, normal
 *   with SD 0.3 °C (skin over the brow's sinuses and vessels, hair at the fringe).
 * What varies between people: the thickness of skin (1.4–2.2 mm), of subcutaneous tissue
 * (log-normal, median 2.5 mm, ×/÷1.5; forensic soft-tissue depths at mid-forehead are 4–6 mm with
 * the skin) and of the frontal bone (6.5 ± 1 mm); deep perfusion; the controller's K_min, K_max,
 * midpoint e₀ (0.3 ± 0.12 °C), width w (0.18–0.32 °C), skin gain g and skin reference T_ref
 * (34 ± 0.4 °C); the set point error and the fever phase; sweating and diffusion; the forced
 * convection coefficient; clothing; the body's time constant; the skin offset.
 * Integration: the deep and skin nodes are a linear 2×2 system once the coefficients (skin blood
 * flow, convection, the radiation's secant coefficient, evaporation) are fixed; `advance` fixes them
 * for sub-steps of at most 6 s and solves each sub-step exactly (matrix exponential), with the body
 * node solved in closed form. `settle` solves the steady state directly (the deep node's balance
 * gives it from the skin's, the skin's balance is found by bisection). Limits: the forehead is a
 * flat plate facing its surroundings; a microclimate like the air under a hat is taken as the
 * body's air too; no cold-induced vasodilation and no shivering.
 */

import type { Rng } from "../random.ts";
import type { PhysiologyModel, Surroundings } from "./model.ts";

interface Traits {
  /** Core → deep node: bone and half the fat, plus the deep tissue's perfusion, W/m²·K. */
  readonly kCoreDeep: number;
  /** Deep → skin node, W/m²·K. */
  readonly kDeepSkin: number;
  /** Heat capacities, J/m²·K. */
  readonly capDeep: number;
  readonly capSkin: number;
  /** Skin blood flow's conductance at full constriction and full dilation, W/m²·K. */
  readonly kSkinMin: number;
  readonly kSkinMax: number;
  /** The controller's midpoint and width, core-equivalent °C. */
  readonly midpointC: number;
  readonly widthC: number;
  /** Weight of the skin signal against the core's (°C core per °C skin). */
  readonly skinGain: number;
  /** The skin signal's reference, °C. */
  readonly skinRefC: number;
  /** The set point's own error when healthy (set point − core), °C. */
  readonly setErrorC: number;
  /** The fever phase's shift of the set point, °C (positive: rising). */
  readonly feverShiftC: number;
  /** Sweating: its most, W/m², and its threshold, core-equivalent °C. */
  readonly sweatMaxW: number;
  readonly sweatAtC: number;
  /** Scale of the diffusion through the skin. */
  readonly diffusion: number;
  /** Forced convection: h = coefficient·v^0.6. */
  readonly forcedCoef: number;
  /** The body's tissue insulation, m²·K/W, and clothing scale. */
  readonly tissueR: number;
  readonly clothing: number;
  /** The clothed body's mean skin: time constant, s. */
  readonly bodyTauS: number;
  readonly offsetC: number;
}

export interface VasomotorPerson {
  readonly coreC: number;
  readonly traits: Traits;
}

export interface VasomotorState {
  /** Subcutaneous (deep) node, °C. */
  readonly deepC: number;
  /** Skin node, °C (the forehead without the person's offset). */
  readonly skinC: number;
  /** The clothed body's mean skin temperature, °C (the slow reflex signal). */
  readonly bodyC: number;
}

const KELVIN = 273.15;
const SIGMA = 5.670374e-8;
const EMISSIVITY = 0.98;
const PLATE_M = 0.12;
const LEWIS = 16.5;
const HUMIDITY = 0.5;
const LOCAL_SHARE = 0.2;
const SWEAT_WIDTH_C = 0.15;
const MAX_STEP_S = 6;
const SKIN_OFFSET_SD_C = 0.3;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const logistic = (x: number) => 1 / (1 + Math.exp(-x));

/** Saturation vapour pressure, kPa (Tetens). */
function saturationKPa(c: number): number {
  return 0.6108 * Math.exp((17.27 * c) / (c + 237.3));
}

function makePerson(rng: Rng, coreC: number): VasomotorPerson {
  const skinMm = rng.uniform(1.4, 2.2);
  const fatMm = clamp(2.5 * Math.exp(rng.normal(0, 0.4)), 0.8, 8);
  const boneMm = clamp(rng.normal(6.5, 1), 4, 9.5);
  const deepPerfusion = rng.uniform(6, 14);
  const kSkinMin = 14 * Math.exp(rng.normal(0, 0.3));
  const kSkinMax = 120 * Math.exp(rng.normal(0, 0.25));
  const midpointC = rng.normal(0.3, 0.12);
  const widthC = rng.uniform(0.18, 0.32);
  const skinGain = rng.uniform(0.15, 0.35);
  const skinRefC = rng.normal(34, 0.4);
  const setErrorC = rng.normal(0, 0.15);
  const phase = rng.next();
  const shift = rng.next();
  const feverShiftC = phase < 0.2 ? 0.3 + 0.9 * shift : phase < 0.4 ? -(0.3 + 0.7 * shift) : 0;
  const sweatMaxW = rng.uniform(60, 150);
  const sweatAtC = rng.normal(0.55, 0.15);
  const diffusion = rng.uniform(0.6, 1.4);
  const forcedCoef = clamp(rng.normal(10.5, 1), 7.5, 14);
  const clothing = rng.uniform(0.8, 1.25);
  const bodyTauS = 60 * clamp(15 * Math.exp(rng.normal(0, 0.35)), 8, 30);
  const offsetC = rng.normal(0, SKIN_OFFSET_SD_C);
  const m = 1e-3;
  const traits: Traits = {
    kCoreDeep: 1 / ((boneMm * m) / 0.32 + (fatMm * m) / 2 / 0.25) + deepPerfusion,
    kDeepSkin: 1 / ((fatMm * m) / 2 / 0.25 + (skinMm * m) / 2 / 0.37),
    capDeep: fatMm * m * 2.6e6 + (boneMm * m * 2.3e6) / 2,
    capSkin: skinMm * m * 3.7e6,
    kSkinMin,
    kSkinMax,
    midpointC,
    widthC,
    skinGain,
    skinRefC,
    setErrorC,
    feverShiftC,
    sweatMaxW,
    sweatAtC,
    diffusion,
    forcedCoef,
    tissueR: 0.03 + 0.012 * fatMm,
    clothing,
    bodyTauS,
    offsetC,
  };
  return { coreC, traits };
}

/** Set point − core: the person's own error, and the fever phase's shift as the core rises. */
function setOffsetC(p: VasomotorPerson): number {
  const x = clamp((p.coreC - 37.3) / 0.7, 0, 1);
  return p.traits.setErrorC + x * x * (3 - 2 * x) * p.traits.feverShiftC;
}

/** Where the clothed body's mean skin tends in `where`, °C. */
function bodyTargetC(p: VasomotorPerson, where: Surroundings): number {
  const hc = Math.max(3, 8.3 * Math.max(0, where.windMs) ** 0.6);
  const hr = 4.7;
  const operative = (hc * where.airC + hr * where.radiantC) / (hc + hr);
  const clo = clamp(0.5 + 0.045 * (25 - where.airC), 0.5, 2.3) * p.traits.clothing;
  const r = p.traits.tissueR;
  return p.coreC - ((p.coreC - operative) * r) / (r + 0.155 * clo + 1 / (hc + hr));
}

/** The skin node's exchange coefficients at a given state. */
interface Exchange {
  /** Skin blood flow's conductance, W/m²·K. */
  blood: number;
  /** Convection and the radiation's secant coefficient, W/m²·K. */
  hc: number;
  hr: number;
  /** Evaporation, W/m². */
  evap: number;
}

function exchange(
  p: VasomotorPerson,
  skinC: number,
  bodyC: number,
  where: Surroundings,
  forced: number,
  setOffset: number,
): Exchange {
  const t = p.traits;
  const signal = (1 - LOCAL_SHARE) * bodyC + LOCAL_SHARE * skinC;
  const error = -setOffset + t.skinGain * (signal - t.skinRefC);
  const blood =
    (t.kSkinMin + (t.kSkinMax - t.kSkinMin) * logistic((error - t.midpointC) / t.widthC)) *
    2 ** ((skinC - 34) / 10);
  const natural = 1.42 * Math.sqrt(Math.sqrt(Math.abs(skinC - where.airC) / PLATE_M));
  const hc = Math.cbrt(natural ** 3 + forced ** 3);
  const s = skinC + KELVIN;
  const r = where.radiantC + KELVIN;
  const hr = EMISSIVITY * SIGMA * (s * s + r * r) * (s + r);
  const vapour = saturationKPa(skinC) - HUMIDITY * saturationKPa(where.airC);
  const wanted = t.diffusion * 3.05 * vapour + t.sweatMaxW * logistic((error - t.sweatAtC) / SWEAT_WIDTH_C);
  const evap = clamp(wanted, 0, Math.max(0, LEWIS * hc * vapour));
  return { blood, hc, hr, evap };
}

function forcedH(p: VasomotorPerson, where: Surroundings): number {
  return p.traits.forcedCoef * Math.max(0, where.windMs) ** 0.6;
}

/** Net heat into the skin node at steady state for a given skin temperature, W/m². */
function skinBalance(
  p: VasomotorPerson,
  skinC: number,
  bodyC: number,
  where: Surroundings,
  forced: number,
  setOffset: number,
): number {
  const t = p.traits;
  const deepC = (t.kCoreDeep * p.coreC + t.kDeepSkin * skinC) / (t.kCoreDeep + t.kDeepSkin);
  const x = exchange(p, skinC, bodyC, where, forced, setOffset);
  return (
    t.kDeepSkin * (deepC - skinC) +
    x.blood * (p.coreC - skinC) +
    x.hc * (where.airC - skinC) +
    x.hr * (where.radiantC - skinC) -
    x.evap
  );
}

function settle(p: VasomotorPerson, where: Surroundings): VasomotorState {
  const t = p.traits;
  const bodyC = bodyTargetC(p, where);
  const forced = forcedH(p, where);
  const setOffset = setOffsetC(p);
  let lo = Math.min(where.airC, where.radiantC, p.coreC) - 40;
  let hi = Math.max(where.airC, where.radiantC, p.coreC) + 5;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (skinBalance(p, mid, bodyC, where, forced, setOffset) > 0) lo = mid;
    else hi = mid;
  }
  const skinC = (lo + hi) / 2;
  const deepC = (t.kCoreDeep * p.coreC + t.kDeepSkin * skinC) / (t.kCoreDeep + t.kDeepSkin);
  return { deepC, skinC, bodyC };
}

function advance(
  p: VasomotorPerson,
  state: VasomotorState,
  where: Surroundings,
  minutes: number,
): VasomotorState {
  if (!(minutes > 0)) return { deepC: state.deepC, skinC: state.skinC, bodyC: state.bodyC };
  const t = p.traits;
  const total = minutes * 60;
  const steps = Math.ceil(total / MAX_STEP_S);
  const dt = total / steps;
  const bodyTarget = bodyTargetC(p, where);
  const bodyDecay = Math.exp(-dt / t.bodyTauS);
  const bodyHalf = Math.exp(-dt / 2 / t.bodyTauS);
  const forced = forcedH(p, where);
  const setOffset = setOffsetC(p);
  const core = p.coreC;
  let deep = state.deepC;
  let skin = state.skinC;
  let body = state.bodyC;
  for (let i = 0; i < steps; i++) {
    const bodyMid = bodyTarget + (body - bodyTarget) * bodyHalf;
    const x = exchange(p, skin, bodyMid, where, forced, setOffset);
    // d/dt [deep, skin] = A·[deep, skin] + b, coefficients held over the sub-step.
    const a11 = -(t.kCoreDeep + t.kDeepSkin) / t.capDeep;
    const a12 = t.kDeepSkin / t.capDeep;
    const a21 = t.kDeepSkin / t.capSkin;
    const a22 = -(t.kDeepSkin + x.blood + x.hc + x.hr) / t.capSkin;
    const b1 = (t.kCoreDeep * core) / t.capDeep;
    const b2 = (x.blood * core + x.hc * where.airC + x.hr * where.radiantC - x.evap) / t.capSkin;
    // Its fixed point, then the exact decay towards it: e^{At} = e^{st}(cosh(qt)·I + sinh(qt)/q·(A − sI)).
    const det = a11 * a22 - a12 * a21;
    const e1 = (-b1 * a22 + a12 * b2) / det;
    const e2 = (a21 * b1 - a11 * b2) / det;
    const s = (a11 + a22) / 2;
    const q = Math.sqrt(((a11 - a22) / 2) ** 2 + a12 * a21);
    const f1 = Math.exp((s + q) * dt);
    const f2 = Math.exp((s - q) * dt);
    const c = (f1 + f2) / 2;
    const sh = q > 1e-12 ? (f1 - f2) / (2 * q) : dt * Math.exp(s * dt);
    const d1 = deep - e1;
    const d2 = skin - e2;
    deep = e1 + c * d1 + sh * ((a11 - s) * d1 + a12 * d2);
    skin = e2 + c * d2 + sh * (a21 * d1 + (a22 - s) * d2);
    body = bodyTarget + (body - bodyTarget) * bodyDecay;
  }
  return { deepC: deep, skinC: skin, bodyC: body };
}

export const VASOMOTOR: PhysiologyModel<VasomotorPerson, VasomotorState> = {
  name: "vasomotor",
  description:
    "core held; deep (fat, bone) and skin nodes per person, skin blood flow a logistic vasomotor controller " +
    "on core-vs-set-point and a slow clothed-body skin signal, fever phases (rising, plateau, falling); " +
    "natural+forced convection, Stefan–Boltzmann radiation, diffusion and sweating; exact 6 s sub-steps",
  makePerson,
  withCore: (person, coreC) => ({ coreC, traits: person.traits }),
  settle,
  advance,
  foreheadC: (person, state) => state.skinC + person.traits.offsetC,
  skinOffsetC: (person) => person.traits.offsetC,
  skinOffsetSdC: SKIN_OFFSET_SD_C,
};
