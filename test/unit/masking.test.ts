import { describe, expect, it } from 'vitest';
import { mask } from '../../subgraphs/kit/masking.js';

describe('masking of personal data', () => {
  it.each([
    ['张', '张*'],
    ['张三', '张*'],
    ['王小明', '王*明'],
    ['12345678', '1******8'],
    ['123456789', '12*****89'],
    ['上海市黄浦区中山东一路', '上海*******一路'],
    ['320102199001018039', '3201**********8039'],
    ['91310000MA1FL8XQ3G', '9131**********XQ3G'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'ABCDEF**************UVWXYZ'],
    ['😀😀😀', '😀*😀'],
  ])('masks %s as %s', (value, masked) => {
    expect(mask(value)).toBe(masked);
  });
});
