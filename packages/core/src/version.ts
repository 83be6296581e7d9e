/** The version of this copy of `@epilogue/core` (its package.json's; a test keeps them equal). */
export const VERSION = '0.1.0';
