import { registryResolvers } from '../kit/registry/resolvers.js';
import { region } from './region.js';

/** Hebei serves the shared registry resolvers; resolvers of its own fields are added here (see README.md). */
export const resolvers = registryResolvers(region);
