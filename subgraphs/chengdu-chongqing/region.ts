import { regionByCode } from '../kit/reference.js';

export const region = regionByCode('chengdu-chongqing')!;
