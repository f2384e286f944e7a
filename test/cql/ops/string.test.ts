/** String operators, table-driven from CQL 1.5 Appendix B "String Operators" and its null rules. */
import { beforeAll, describe, expect, test } from 'vitest';
import { evaluateDefines } from './harness.ts';

const cases: Record<string, [string, unknown]> = {
  ConcatenatePlus: ["'John' + ' Doe'", 'John Doe'],
  ConcatenateAnd: ["'John' & null & ' Doe'", 'John Doe'],
  ConcatenateFunction: ["Concatenate('John', ' Doe')", 'John Doe'],
  ConcatenateIsNull: ["'John' + null + 'Doe'", null],
  CombineList: ["Combine({ 'A', 'B', 'C' })", 'ABC'],
  CombineWithSeparator: ["Combine({ 'A', 'B', 'C' }, ' ')", 'A B C'],
  CombineWithNulls: ["Combine({ 'A', 'B', 'C', null })", 'ABC'],
  'Combine empty list': ['Combine(List<String>{})', null],
  'Combine null separator ignored': ["Combine({ 'A', 'B' }, null)", 'AB'],
  EndsWithIsTrue: ["EndsWith('ABC', 'C')", true],
  EndsWithIsFalse: ["EndsWith('ABC', 'Z')", false],
  EndsWithIsNull: ["EndsWith('ABC', null)", null],
  'EndsWith empty suffix': ["EndsWith('ABC', '')", true],
  Indexer2: ["'ABCDE'[2]", 'C'],
  IndexerIsNull: ["'ABCDE'[14]", null],
  IndexerIsAlsoNull: ["'ABCDE'[null]", null],
  'Indexer negative': ["'ABCDE'[-1]", null],
  'Indexer list': ['{ 10, 20, 30 }[1]', 20],
  'Indexer list out of range': ['{ 10, 20, 30 }[3]', null],
  LastPositionOfFound: ["LastPositionOf('B', 'ABCDEDCBA')", 7],
  LastPositionOfNotFound: ["LastPositionOf('XYZ', 'ABCDE')", -1],
  LastPositionOfIsNull: ["LastPositionOf(null, 'ABCDE')", null],
  Length14: ["Length('ABCDE')", 5],
  LengthIsNull: ['Length(null as String)', null],
  'Length empty': ["Length('')", 0],
  'Length list': ['Length({ 1, 2, 3 })', 3],
  'Length of a null list is 0': ['Length(null as List<Integer>)', 0],
  LowerCQL: ["Lower('ABCDE')", 'abcde'],
  LowerIsNull: ['Lower(null)', null],
  'Matches: digits, comma, word': ["Matches('7,8nine', '\\\\d,\\\\d\\\\w+')", true],
  'Matches: null pattern': ["Matches('34four', null)", null],
  'Matches: a word inside a canonical URL (partial matching)': ["Matches('https://careloop.example/Library/Pack|1.0.0', 'Library')", true],
  'Matches anchored': ["Matches('abcd', '^bc$')", false],
  PositionOfFound: ["PositionOf('B', 'ABCDEDCBA')", 1],
  PositionOfNotFound: ["PositionOf('Z', 'ABCDE')", -1],
  PositionOfIsNull: ["PositionOf(null, 'ABCDE')", null],
  ReplaceMatchesFound: ["ReplaceMatches('ABCDE', 'C', 'XYZ')", 'ABXYZDE'],
  ReplaceMatchesNotFound: ["ReplaceMatches('ABCDE', 'XYZ', '123')", 'ABCDE'],
  ReplaceMatchesIsNull: ["ReplaceMatches('ABCDE', 'C', null)", null],
  'ReplaceMatches groups': ["ReplaceMatches('John Smith', '(\\\\w+) (\\\\w+)', '$2, $1')", 'Smith, John'],
  'ReplaceMatches all': ["ReplaceMatches('a1b2', '[0-9]', '#')", 'a#b#'],
  SplitFound: ["Split('A B C', ' ')", ['A', 'B', 'C']],
  SplitNotFound: ["Split('A B C', ',')", ['A B C']],
  SplitIsNull: ["Split(null, ' ')", null],
  'Split keeps empty pieces': ["Split('a,,b', ',')", ['a', '', 'b']],
  'Split null separator': ["Split('a,b', null)", ['a,b']],
  SplitOnMatches: ["SplitOnMatches('a1b22c', '[0-9]+')", ['a', 'b', 'c']],
  'SplitOnMatches no match': ["SplitOnMatches('abc', '[0-9]+')", ['abc']],
  StartsWithIsTrue: ["StartsWith('ABCDE', 'ABC')", true],
  StartsWithIsFalse: ["StartsWith('ABCDE', 'XYZ')", false],
  StartsWithIsNull: ["StartsWith('ABCDE', null)", null],
  SubstringWithoutLength: ["Substring('ABCDE', 2)", 'CDE'],
  SubstringWithLength: ["Substring('ABCDE', 2, 1)", 'C'],
  SubstringIsNull: ["Substring('ABCDE', null)", null],
  SubstringIsAlsoNull: ["Substring('ABCDE', 14)", null],
  'Substring negative start': ["Substring('abc', -1)", null],
  'Substring length past end': ["Substring('abcdef', 4, 10)", 'ef'],
  'Substring zero length': ["Substring('abc', 1, 0)", ''],
  UpperCQL: ["Upper('abcde')", 'ABCDE'],
  UpperIsNull: ['Upper(null)', null],
};

let results: Record<string, unknown>;

beforeAll(() => {
  results = evaluateDefines(Object.fromEntries(Object.entries(cases).map(([k, [expr]]) => [k, expr])));
}, 120_000);

describe('string operators (CQL 1.5 Appendix B)', () => {
  test.each(Object.entries(cases))('%s', (name, [, expected]) => {
    expect(results[name]).toEqual(expected);
  });
});
