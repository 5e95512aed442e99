export { renderScenes, renderScenesCpu, createRenderer, type RenderSize } from './render.js';
export {
  TEXTURE_FAMILIES,
  TEXTURE_FAMILY_NAMES,
  proceduralTexture,
  solidTexture,
  type TextureFamily,
  type TextureFamilyInfo,
} from './textures.js';
export { MIN_SIZE as MIN_RENDER_SIZE, MAX_SIZE as MAX_RENDER_SIZE, GEOM_CODES } from './pack.js';
export { RENDER_KERNEL } from './render-kernel.js';
