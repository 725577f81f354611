/** Duplicate keys in JSON text: JSON.parse keeps the last silently; strict readers refuse them. */

/**
 * The first key that appears twice in one object of valid JSON `text`, at any depth (JSON.parse
 * keeps only the last). One pass over the text: strings skipped whole, keys compared decoded.
 */
export function firstDuplicateKey(text: string): string | undefined {
  // One entry per open bracket: the keys of an object so far (null for an array).
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // "
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b) { // {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) { // [
      stack.push(null);
    } else if (c === 0x7d || c === 0x5d) { // } ]
      stack.pop();
    } else if (c === 0x2c) { // ,
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}
