import { registryResolvers } from '../kit/registry/resolvers.js';
import { region } from './region.js';

/** Yangtze River Delta (Shanghai 31, Jiangsu 32, Zhejiang 33, Anhui 34) serves the shared registry resolvers; fields of its own would be added here. */
export const resolvers = registryResolvers(region);
