/** The part of `@lhncbc/ucum-lhc` (a CommonJS package without types) that values/ucum.ts uses. */
declare module '@lhncbc/ucum-lhc' {
  export const UcumLhcUtils: {
    getInstance(): {
      convertUnitTo(from: string, value: number, to: string): { status: string; toVal: number | null };
    };
  };
}
