import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Limits } from "./types";
export declare const VALIDATION_SCRIPT_PATH = "/opt/proving-ground/validate.js";
/** The smoke test's source, a real TypeScript file type-checked and linted with the rest. */
export declare const VALIDATION_SMOKE_SOURCE: string;
/**
 * The compiled script as the npm package ships it beside this file (written by the package build from
 * renderValidationScript, so the package needs no TypeScript at run time). Absent in the repository.
 */
export declare const VALIDATION_SCRIPT_PREBUILT: string;
/**
 * The smoke-test script uploaded into the job's container: components/validation-smoke.ts compiled to
 * one CommonJS file for plain Node 20 (no dependencies). Reads GATEWAY_URL, TENANT, DEADLINE_MS and,
 * when the gateway requires tenant tokens, TENANT_TOKEN from the environment. Deterministic text for a
 * given TypeScript version (the upload is a container input: a change re-runs the job); the request ids
 * are made unique at run time. The npm package reads the copy its build rendered.
 */
export declare function renderValidationScript(): string;
/** Log text without Docker's stream framing headers. */
export declare function stripLogFraming(logs: string): string;
/** The last `n` non-empty lines of a log, without Docker's stream framing. */
export declare function logTail(logs: string | undefined, n?: number): string;
export interface ValidationJobArgs {
    /** Stack name: the container's `proving-ground.stack` label. */
    stack: string;
    /** Prefix of the container name (`<namePrefix>-validation`), e.g. "pg-dev". */
    namePrefix: string;
    /** Docker network the gateway is on; the job joins it as `validation`. */
    network: pulumi.Input<string>;
    /** An image with Node 20 (the gateway image). */
    image: pulumi.Input<string>;
    /** Gateway base URL inside the stack network. Default "http://gateway:8080". */
    gatewayUrl?: string;
    /** Tenant the smoke requests use. Default "tenant-a". */
    tenant?: string;
    /**
     * The tenant's bearer token when the gateway requires one; a secret, passed in a secret env list.
     * Default: none (no Authorization header).
     */
    token?: pulumi.Input<string>;
    /** Overall deadline for the smoke test. Default 60000 ms. */
    deadlineMs?: number;
    /** Values (e.g. image digests) whose change re-runs the job on the next `up`. Default: none. */
    triggers?: pulumi.Input<string>[];
    /** CPU and memory limits of the job container. Default 0.5 CPU, 128Mi. */
    limits?: Limits;
    /** Containers that must be healthy before the job runs. */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}
export declare class ValidationJob extends pulumi.ComponentResource {
    readonly container: docker.Container;
    readonly exitCode: pulumi.Output<number>;
    readonly logTail: pulumi.Output<string>;
    constructor(name: string, args: ValidationJobArgs, opts?: pulumi.ComponentResourceOptions);
}
