/**
 * Numbers in [0, 1) from a fixed seed (a linear congruential generator): a test that picks at
 * random can run again exactly as it failed.
 */
export const randomFrom = (seed: number) => () => {
	seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
	return seed / 2 ** 31;
};
