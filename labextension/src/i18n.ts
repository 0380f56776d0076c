/**
 * The translation bundle of this extension, for views and dialogs that are
 * not widgets (they cannot be handed a translator). The plugin sets it from
 * JupyterLab's `ITranslator` at activation; until then, and in tests,
 * strings pass through untranslated. Importers see the current bundle (an
 * ES module binding is live).
 */
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

/** Translation domain of this extension. */
export const TRANSLATION_DOMAIN = 'mlops_jupyter';

export let trans: TranslationBundle = nullTranslator.load(TRANSLATION_DOMAIN);

export function setTranslator(translator: ITranslator): void {
  trans = translator.load(TRANSLATION_DOMAIN);
}
