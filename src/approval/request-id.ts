import { randomInt } from 'node:crypto';

/** Lower-case letters and digits without the look-alikes (0/o, 1/l/i), so ids survive being read aloud or retyped. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 6;

/** A fresh request id such as `r-7f3k2m` (31^6 ≈ 887 million values; the create script refuses a clash). */
export function newRequestId(): string {
  let id = 'r-';
  for (let i = 0; i < LENGTH; i += 1) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/** Whether text looks like a request id, before any lookup (user input from `/ecs-exec status <id>`). */
export function isRequestId(text: string): boolean {
  return new RegExp(`^r-[${ALPHABET}]{${LENGTH}}$`).test(text);
}
