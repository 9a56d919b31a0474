/** The physiology models the accuracy evaluation can run (`--physiology <name>`). */
import type { AnyPhysiologyModel } from "./model.ts";
import { LINEAR } from "./physiology.ts";
import { TWO_NODE } from "./two-node.ts";
import { VASOMOTOR } from "./vasomotor.ts";

/** The main model: the evaluation's reported figures come from it. */
export const MAIN_PHYSIOLOGY = TWO_NODE.name;

export const PHYSIOLOGY_MODELS: Readonly<Record<string, AnyPhysiologyModel>> = Object.freeze({
  [TWO_NODE.name]: TWO_NODE as AnyPhysiologyModel,
  [LINEAR.name]: LINEAR as AnyPhysiologyModel,
  [VASOMOTOR.name]: VASOMOTOR as AnyPhysiologyModel,
});

export function physiologyModel(name: string): AnyPhysiologyModel {
  const model = PHYSIOLOGY_MODELS[name];
  if (!model)
    throw new Error(`unknown physiology "${name}": one of ${Object.keys(PHYSIOLOGY_MODELS).join(", ")}`);
  return model;
}
