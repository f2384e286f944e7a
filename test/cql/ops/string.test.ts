/** String operators, table-driven from CQL 1.5 Appendix B "String Operators" and its null rules. */
import { beforeAll, describe, expect, test } from 'vitest';
import { evaluateDefines } from './harness.ts';

const cases: Record<string, [string, unknown]> = {
  'Concatenate: + joins two strings': ["'Tomato' + ' soup'", 'Tomato soup'],
  'Concatenate: & reads a null operand as the empty string': ["'blue' & null & 'bird'", 'bluebird'],
  'Concatenate: the function form joins its arguments': ["Concatenate('sea', 'shell')", 'seashell'],
  'Concatenate: + with a null operand is null': ["'left' + null + 'right'", null],
  'Combine: joins the elements with no separator': ["Combine({ 'x', 'y', 'z' })", 'xyz'],
  'Combine: puts the separator between elements': ["Combine({ 'red', 'green', 'blue' }, '/')", 'red/green/blue'],
  'Combine: skips null elements': ["Combine({ 'p', null, 'q' })", 'pq'],
  'Combine: an empty list gives null': ['Combine(List<String>{})', null],
  'Combine: a null separator is ignored': ["Combine({ 'm', 'n' }, null)", 'mn'],
  'EndsWith: true for a matching suffix': ["EndsWith('notebook', 'book')", true],
  'EndsWith: false when the suffix differs': ["EndsWith('notebook', 'note')", false],
  'EndsWith: a null suffix gives null': ["EndsWith('notebook', null)", null],
  'EndsWith: the empty suffix always matches': ["EndsWith('notebook', '')", true],
  'Indexer: reads a string character, 0-based': ["'planet'[3]", 'n'],
  'Indexer: an index equal to the length is null': ["'planet'[6]", null],
  'Indexer: a null index is null': ["'planet'[null]", null],
  'Indexer: a negative index is null': ["'planet'[-2]", null],
  'Indexer: reads a list element, 0-based': ['{ 4, 5, 6, 7 }[2]', 6],
  'Indexer: past the end of a list is null': ['{ 4, 5, 6, 7 }[4]', null],
  'LastPositionOf: finds the last occurrence, 0-based': ["LastPositionOf('an', 'banana')", 3],
  'LastPositionOf: -1 when absent': ["LastPositionOf('q', 'banana')", -1],
  'LastPositionOf: a null pattern gives null': ["LastPositionOf(null, 'banana')", null],
  'Length: counts the characters of a string': ["Length('kettle')", 6],
  'Length: a null string gives null': ['Length(null as String)', null],
  'Length: the empty string has length 0': ["Length('')", 0],
  'Length: counts the elements of a list': ['Length({ 9, 8, 7, 6 })', 4],
  'Length: a null list has length 0': ['Length(null as List<Integer>)', 0],
  'Lower: lower-cases every letter': ["Lower('MiXeD Case')", 'mixed case'],
  'Lower: null gives null': ['Lower(null)', null],
  'Matches: true when the pattern is found (digits then a letter)': ["Matches('room 12b', '\\\\d+[a-z]')", true],
  'Matches: a null pattern gives null': ["Matches('abc123', null)", null],
  'Matches: a word inside a canonical URL (partial matching)': ["Matches('https://careloop.example/Library/Pack|1.0.0', 'Library')", true],
  'Matches: anchors in the pattern are honoured': ["Matches('xyzw', '^yz$')", false],
  'PositionOf: finds the first occurrence, 0-based': ["PositionOf('an', 'banana')", 1],
  'PositionOf: -1 when absent': ["PositionOf('q', 'banana')", -1],
  'PositionOf: a null pattern gives null': ["PositionOf(null, 'banana')", null],
  'ReplaceMatches: replaces the matched text': ["ReplaceMatches('grey cat', 'grey', 'gray')", 'gray cat'],
  'ReplaceMatches: leaves the string as is without a match': ["ReplaceMatches('grey cat', 'dog', 'bird')", 'grey cat'],
  'ReplaceMatches: a null substitution gives null': ["ReplaceMatches('grey cat', 'cat', null)", null],
  'ReplaceMatches: substitutes capture groups': ["ReplaceMatches('Ada Lovelace', '(\\\\w+) (\\\\w+)', '$2, $1')", 'Lovelace, Ada'],
  'ReplaceMatches: replaces every match': ["ReplaceMatches('x9y8z7', '[0-9]', '_')", 'x_y_z_'],
  'Split: splits at each separator': ["Split('north;south;east', ';')", ['north', 'south', 'east']],
  'Split: one element when the separator is absent': ["Split('north;south', '|')", ['north;south']],
  'Split: a null string gives null': ["Split(null, ';')", null],
  'Split: keeps empty pieces between adjacent separators': ["Split('1||2', '|')", ['1', '', '2']],
  'Split: a null separator gives the whole string': ["Split('p;q', null)", ['p;q']],
  'SplitOnMatches: splits at each match of the pattern': ["SplitOnMatches('x--y-z', '-+')", ['x', 'y', 'z']],
  'SplitOnMatches: one element without a match': ["SplitOnMatches('xyz', '-+')", ['xyz']],
  'StartsWith: true for a matching prefix': ["StartsWith('carpet', 'car')", true],
  'StartsWith: false when the prefix differs': ["StartsWith('carpet', 'pet')", false],
  'StartsWith: a null prefix gives null': ["StartsWith('carpet', null)", null],
  'Substring: from a 0-based start to the end': ["Substring('window', 3)", 'dow'],
  'Substring: from a start for a length': ["Substring('window', 1, 3)", 'ind'],
  'Substring: a null start gives null': ["Substring('window', null)", null],
  'Substring: a start at the length gives null': ["Substring('window', 6)", null],
  'Substring: a negative start gives null': ["Substring('window', -2)", null],
  'Substring: a length past the end stops at the end': ["Substring('window', 4, 9)", 'ow'],
  'Substring: a zero length gives the empty string': ["Substring('window', 2, 0)", ''],
  'Upper: upper-cases every letter': ["Upper('quiet Please')", 'QUIET PLEASE'],
  'Upper: null gives null': ['Upper(null)', null],
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
