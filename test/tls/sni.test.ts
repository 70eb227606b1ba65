/** SNI: several certificates on one listener, each served for the name the client asks for. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, type EchoReport } from '../../src/apps/echo.js';
import { generateCertificate } from '../../src/tls/certificate.js';
import { CERT, cleanup, exchangeKeepAlive, startHttps, tlsConnect } from './helpers.js';

const ALPHA = generateCertificate({ hostnames: ['alpha.test'], ips: [] });
const BETA = generateCertificate({ hostnames: ['beta.test'], ips: [] });
const WILD = generateCertificate({ hostnames: ['*.wild.test'], ips: [] });
/** Every certificate, so a client can connect whichever one it is given and report it. */
const ALL_CAS = [CERT.certPem, ALPHA.certPem, BETA.certPem, WILD.certPem];

let port: number;

beforeAll(async () => {
  ({ port } = await startHttps({
    handler: echo({ maxBodyBytes: 1024 }),
    sni: {
      'alpha.test': { key: ALPHA.keyPem, cert: ALPHA.certPem },
      'Beta.Test.': { key: BETA.keyPem, cert: BETA.certPem },
      '*.wild.test': { key: WILD.keyPem, cert: WILD.certPem },
    },
  }));
});
afterAll(cleanup);

/** The fingerprint of the certificate the server presented for `servername`. */
async function presented(servername: string | undefined): Promise<string | undefined> {
  const socket = await tlsConnect(port, { ca: ALL_CAS, ...(servername === undefined ? {} : { servername }), rejectUnauthorized: false });
  try {
    return socket.getPeerX509Certificate()?.fingerprint256;
  } finally {
    socket.destroy();
  }
}

describe('SNI', () => {
  it.each([
    ['alpha.test', ALPHA],
    ['beta.test', BETA],
    ['BETA.test', BETA],
    ['a.wild.test', WILD],
    ['b.wild.test', WILD],
    ['localhost', CERT],
    ['unknown.test', CERT],
    ['x.alpha.test', CERT], // no wildcard for alpha
    ['a.b.wild.test', CERT], // a wildcard covers one label only
  ])('servername %s gets its certificate', async (servername, expected) => {
    expect(await presented(servername)).toBe(expected.fingerprint256);
  });

  it('a client sending no servername gets the main certificate', async () => {
    expect(await presented(undefined)).toBe(CERT.fingerprint256);
  });

  it('each name is verified and served over HTTP by the same handler', async () => {
    for (const [servername, certificate] of [
      ['alpha.test', ALPHA],
      ['beta.test', BETA],
      ['c.wild.test', WILD],
    ] as const) {
      const socket = await tlsConnect(port, { servername, ca: certificate.certPem });
      expect(socket.authorized).toBe(true);
      const [response] = await exchangeKeepAlive(socket, [`GET /${servername} HTTP/1.1\r\nHost: ${servername}\r\n\r\n`]);
      const report = JSON.parse(response!.body.toString('utf8')) as EchoReport;
      expect(report.target).toBe(`/${servername}`);
      expect(report.tls).toMatchObject({ protocol: 'TLSv1.3', alpn: 'http/1.1' });
      socket.destroy();
    }
  });

  it('a client trusting only alpha refuses the beta certificate', async () => {
    await expect(tlsConnect(port, { servername: 'beta.test', ca: ALPHA.certPem })).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});
