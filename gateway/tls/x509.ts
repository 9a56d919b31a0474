/**
 * X.509 v3 certificates made with node:crypto alone (no openssl binary): a small DER writer
 * ([X.690] definite-length encoding) and the certificate structure of [RFC 5280 §4.1], signed with
 * ECDSA (P-256 → SHA-256, P-384 → SHA-384) or RSA PKCS#1 v1.5 with SHA-256. Only what the
 * gateway's private CA needs: names with a CN (and an O), validity, basic constraints, key usage,
 * extended key usage, subject alternative names (DNS, IP, URI) and key identifiers. Node's own
 * `X509Certificate` reads what this writes (tests check every certificate it makes against it).
 */
import { createHash, type KeyObject, randomBytes, sign } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

// --- DER ---------------------------------------------------------------------------------------

function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, value]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const octetString = (value: Buffer) => tlv(0x04, value);
const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
const boolean = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
/** [n] EXPLICIT: a constructed context-specific tag around a whole element. */
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);

/** A non-negative INTEGER from its big-endian magnitude (minimal, with a 0x00 when the top bit is set). */
function integer(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = magnitude.subarray(i);
  if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(0x02, body);
}

/** A BIT STRING whose bits are whole bytes (a key, a signature). */
const bitString = (bytes: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const out = [40 * a + b];
  for (const part of rest) {
    const base128: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after ([RFC 5280 §4.1.2.5]), to the second, in UTC. */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-11-29T10:00:00.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), "ascii"))
    : tlv(0x18, Buffer.from(digits, "ascii"));
}

// --- Certificate parts ------------------------------------------------------------------------

const OID = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  ecdsaSha384: "1.2.840.10045.4.3.3",
  rsaSha256: "1.2.840.113549.1.1.11",
} as const;

export interface DistinguishedName {
  commonName: string;
  organization?: string;
}

function name(dn: DistinguishedName): Buffer {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  return sequence(
    ...(dn.organization ? [rdn(OID.organization, dn.organization)] : []),
    rdn(OID.commonName, dn.commonName),
  );
}

/** Key usage bits [RFC 5280 §4.2.1.3], numbered from the first bit. */
export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

function keyUsage(bits: readonly number[]): Buffer {
  const bytes = Buffer.alloc(bits.some((b) => b >= 8) ? 2 : 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  // DER: no trailing zero bytes, and the count of unused bits in the last one.
  let last = bytes[bytes.length - 1] ?? 0;
  let unused = 0;
  while (unused < 8 && last !== 0 && (last & 1) === 0) {
    last >>= 1;
    unused++;
  }
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

export type AltName = { dns: string } | { ip: string } | { uri: string };

function altNames(names: readonly AltName[]): Buffer {
  return sequence(
    ...names.map((n) => {
      if ("dns" in n) return tlv(0x82, Buffer.from(n.dns, "ascii"));
      if ("uri" in n) return tlv(0x86, Buffer.from(n.uri, "ascii"));
      return tlv(0x87, ipBytes(n.ip));
    }),
  );
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split(".").map(Number));
  if (!isIPv6(ip)) throw new Error(`"${ip}" is not an IP address`);
  const [head = "", tail = ""] = ip.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = ip.includes("::") ? groups(tail) : [];
  const all = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  for (const [i, g] of all.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** The key identifier of [RFC 5280 §4.2.1.2] (1): SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: Buffer): Buffer {
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }: the BIT STRING
  // is the last element; its contents after the unused-bits byte are the key.
  const bits = lastElement(spki);
  return createHash("sha1").update(bits.subarray(1)).digest();
}

/** The contents of the last element of a DER SEQUENCE. */
function lastElement(der: Buffer): Buffer {
  let offset = headerLength(der, 0);
  let contents: Buffer = Buffer.alloc(0);
  while (offset < der.length) {
    const header = headerLength(der, offset);
    const length = contentLength(der, offset);
    contents = der.subarray(offset + header, offset + header + length);
    offset += header + length;
  }
  return contents;
}

function headerLength(der: Buffer, at: number): number {
  const first = der[at + 1] ?? 0;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function contentLength(der: Buffer, at: number): number {
  const first = der[at + 1] ?? 0;
  if (first < 0x80) return first;
  let n = 0;
  for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + (der[at + 2 + i] ?? 0);
  return n;
}

function signatureAlgorithm(key: KeyObject): { algorithm: Buffer; hash: string } {
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return { algorithm: sequence(oid(OID.ecdsaSha256)), hash: "sha256" };
    if (curve === "secp384r1") return { algorithm: sequence(oid(OID.ecdsaSha384)), hash: "sha384" };
    throw new Error(`EC curve ${curve}: only P-256 and P-384 keys can sign here`);
  }
  if (key.asymmetricKeyType === "rsa") {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      throw new Error("RSA keys under 2048 bits are refused");
    return { algorithm: sequence(oid(OID.rsaSha256), tlv(0x05, Buffer.alloc(0))), hash: "sha256" };
  }
  throw new Error(`a ${key.asymmetricKeyType} key cannot sign certificates here (EC P-256/P-384 or RSA)`);
}

export interface CertificateSpec {
  subject: DistinguishedName;
  /** The subject's public key. */
  publicKey: KeyObject;
  issuer: DistinguishedName;
  /** The issuer's private key (the subject's own for a self-signed CA). */
  issuerKey: KeyObject;
  /** The issuer's public key, for the authority key identifier (omitted: self-signed). */
  issuerPublicKey?: KeyObject;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  keyUsage: readonly number[];
  extKeyUsage?: readonly ("serverAuth" | "clientAuth")[];
  altNames?: readonly AltName[];
}

/** A signed certificate, PEM-encoded. */
export function createCertificate(spec: CertificateSpec): string {
  const spki = spec.publicKey.export({ type: "spki", format: "der" });
  const issuerSpki = (spec.issuerPublicKey ?? spec.publicKey).export({ type: "spki", format: "der" });
  const { algorithm, hash } = signatureAlgorithm(spec.issuerKey);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive, 16 bytes, never zero
  const extensions = [
    extension(
      OID.basicConstraints,
      true,
      spec.ca ? sequence(boolean(true), integer(Buffer.from([0]))) : sequence(),
    ),
    extension(OID.keyUsage, true, keyUsage(spec.keyUsage)),
    ...(spec.extKeyUsage?.length
      ? [extension(OID.extKeyUsage, false, sequence(...spec.extKeyUsage.map((u) => oid(OID[u]))))]
      : []),
    ...(spec.altNames?.length ? [extension(OID.subjectAltName, false, altNames(spec.altNames))] : []),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(issuerSpki)))),
  ];
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    name(spec.issuer),
    sequence(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign(hash, tbs, spec.issuerKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
