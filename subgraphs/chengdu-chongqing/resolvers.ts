import { registryResolvers } from '../kit/registry/resolvers.js';
import { region } from './region.js';

/** Chengdu-Chongqing (Chongqing 50, Sichuan 51) serves the shared registry resolvers; fields of its own would be added here. */
export const resolvers = registryResolvers(region);
