/** @module The Net of the runtime we run on: Bun's native TCP on Bun, node:net elsewhere. */
import { bunNet } from "./bun_net.ts";
import { detectRuntime } from "./detect.ts";
import { nodeNet } from "./node_net.ts";
import type { Net } from "./types.ts";

export const platformNet: Net = detectRuntime() === "bun" ? bunNet : nodeNet;
