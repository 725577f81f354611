/**
 * The test Hub speaks what `@huggingface/hub` expects (node-ecosystem.md §2): the real client
 * creates a repo, uploads regular and LFS files (basic and multipart), commits, lists with
 * pagination, reads back, and deletes a repo, against it over real HTTP.
 */
import { createRepo, deleteRepo, downloadFile, listFiles, modelInfo, pathsInfo, uploadFiles, whoAmI } from '@huggingface/hub';
import { createHash } from 'node:crypto';
import { TestHub } from './hub-server.js';

let hub: TestHub;
beforeAll(async () => { hub = await TestHub.start(); });
afterAll(async () => { await hub.close(); });

const creds = (): { hubUrl: string; accessToken: string } => ({ hubUrl: hub.url, accessToken: 'hf_test_token' });

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

describe('test Hub with the real @huggingface/hub client', () => {
  it('whoami, create (409 when it exists), upload regular + basic LFS + multipart LFS, list, read back', async () => {
    expect((await whoAmI(creds())).name).toBe('tester');
    await createRepo({ ...creds(), repo: 'tester/up' });
    await expect(createRepo({ ...creds(), repo: 'tester/up' })).rejects.toMatchObject({ statusCode: 409 });
    const small = bytes(300_000, 1); // LFS, one PUT
    const big = bytes(3_000_000, 2); // LFS, multipart (the test Hub splits objects over 1 MiB)
    await uploadFiles({
      ...creds(), repo: 'tester/up', useXet: false,
      files: [
        { path: 'config.json', content: new Blob([JSON.stringify({ model_type: 'llama' })]) },
        { path: 'a.safetensors', content: new Blob([small]) },
        { path: 'b.safetensors', content: new Blob([big]) },
      ],
    });
    const sha = hub.sha('tester/up')!;
    // Both LFS transfer shapes were used: one basic PUT, and parts + completion for the big file.
    expect(hub.counters.log.filter((l) => /^PUT \/lfs-upload\/[0-9a-f]+$/.test(l))).toHaveLength(1);
    expect(hub.counters.log.filter((l) => /^PUT \/lfs-upload\/[0-9a-f]+\/part\/\d+$/.test(l))).toHaveLength(6);
    expect(hub.counters.log.filter((l) => /^POST \/lfs-upload\/[0-9a-f]+\/complete$/.test(l))).toHaveLength(1);
    expect(hub.counters.log).toContain('POST /api/models/tester/up/commit/main');
    const info = await modelInfo({ ...creds(), name: 'tester/up', additionalFields: ['sha'] });
    expect(info.sha).toBe(sha);
    hub.pageSize = 2; // three files + .gitattributes: two pages
    const listed = [];
    for await (const f of listFiles({ ...creds(), repo: 'tester/up', revision: sha })) listed.push(f);
    expect(listed.map((f) => f.path).sort()).toEqual(['.gitattributes', 'a.safetensors', 'b.safetensors', 'config.json']);
    const b = listed.find((f) => f.path === 'b.safetensors')!;
    expect(b.lfs?.oid).toBe(createHash('sha256').update(big).digest('hex'));
    const pi = await pathsInfo({ ...creds(), repo: 'tester/up', paths: ['a.safetensors'], expand: true, revision: 'main' });
    expect(pi[0].lastCommit.id).toBe(sha);
    const blob = await downloadFile({ ...creds(), repo: 'tester/up', path: 'b.safetensors', revision: sha });
    expect(Buffer.compare(Buffer.from(await blob!.slice(1000, 2000).arrayBuffer()), Buffer.from(big.subarray(1000, 2000)))).toBe(0);
    expect(Buffer.compare(Buffer.from(await blob!.arrayBuffer()), Buffer.from(big))).toBe(0);
    expect(await downloadFile({ ...creds(), repo: 'tester/up', path: 'nope.json', revision: sha })).toBeNull();
  });

  it('deletes a repo (DELETE /api/repos/delete) for a token that may write to its namespace; 404 once gone, 403 for a read token', async () => {
    hub.addToken('hf_read_only_del', { user: 'tester', role: 'read' });
    await createRepo({ ...creds(), repo: 'tester/gone' });
    await expect(deleteRepo({ hubUrl: hub.url, accessToken: 'hf_read_only_del', repo: 'tester/gone' })).rejects.toMatchObject({ statusCode: 403 });
    expect(hub.sha('tester/gone')).toBeDefined();
    await deleteRepo({ ...creds(), repo: 'tester/gone' });
    expect(hub.sha('tester/gone')).toBeUndefined();
    expect(hub.counters.deleted).toEqual(['tester/gone']);
    await expect(modelInfo({ ...creds(), name: 'tester/gone' })).rejects.toMatchObject({ statusCode: 404 });
    await expect(deleteRepo({ ...creds(), repo: 'tester/gone' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('rejects a token it does not know', async () => {
    await expect(modelInfo({ hubUrl: hub.url, accessToken: 'hf_wrong', name: 'tester/up' })).rejects.toMatchObject({ statusCode: 401 });
  });

  it('limitUploads paces upload bodies (the sink and LFS parts) to the link, all uploads together; 0 lifts it', async () => {
    const body = bytes(1_000_000, 3);
    const put = async (b: Uint8Array = body): Promise<void> => {
      const res = await fetch(`${hub.url}/_test/sink`, { method: 'PUT', body: b });
      expect(await res.json()).toMatchObject({ bytes: b.length });
    };
    hub.limitUploads(4_000_000);
    const t0 = performance.now();
    await Promise.all([put(), put()]); // 2 MB over a 4 MB/s link: at least 0.5 s whatever the machine
    expect(performance.now() - t0).toBeGreaterThanOrEqual(450);
    // An LFS upload through the real client obeys it too, and lands intact.
    await createRepo({ ...creds(), repo: 'tester/paced' });
    const t1 = performance.now();
    await uploadFiles({ ...creds(), repo: 'tester/paced', useXet: false, files: [{ path: 'p.safetensors', content: new Blob([body]) }] });
    expect(performance.now() - t1).toBeGreaterThanOrEqual(200);
    expect(hub.file('tester/paced', 'main', 'p.safetensors')!.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    hub.limitUploads(0);
    const t2 = performance.now();
    await put(new Uint8Array(8_000_000)); // 2 s at the old pace
    expect(performance.now() - t2).toBeLessThan(1500);
  });
});
