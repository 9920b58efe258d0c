import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type HttpCheck, type PartSpec } from "../spec";
import type { Limits } from "../types";
/** Where the workloads go: the stack (labels), the namespace and the provider. */
export interface KubeContext {
    /** Stack name: the `app.kubernetes.io/instance` label of every object. */
    stack: string;
    /** Namespace name, as the stack's DNS names use it. */
    namespace: string;
    /** The Namespace object's name output (objects depend on the namespace through it). */
    namespaceName: pulumi.Input<string>;
    /** Explicit provider; default the ambient one. */
    provider?: k8s.Provider;
}
/** Labels every object carries; the chaos selector is the instance + name pair. */
export declare function roleLabels(stack: string, role: string): Record<string, string>;
export declare function roleSelector(stack: string, role: string): string;
/** Container resources: limits from config; requests = half the CPU and all the memory (no OOM overcommit). */
export declare function resources(l: Limits): {
    requests: {
        cpu: string;
        memory: string;
    };
    limits: {
        cpu: string;
        memory: string;
    };
};
export declare const sha256: (s: string) => string;
export declare const SECURE: {
    allowPrivilegeEscalation: boolean;
    privileged: boolean;
};
/** Object metadata: name, the namespace, the role's labels (plus extra ones). */
export declare function meta(ctx: KubeContext, name: string, role: string, extra?: Record<string, string>): {
    name: string;
    namespace: pulumi.Input<string>;
    labels: {
        [x: string]: string;
    };
};
/** Resource options: the provider, and an explicit dependency where one is given. */
export declare function res(ctx: KubeContext, dependsOn?: pulumi.Resource): pulumi.CustomResourceOptions;
/** The spec's environment: plain values, secrets as references into the Secret `secretName`. */
export declare function containerEnv(spec: PartSpec, secretName: pulumi.Input<string>): ({
    name: string;
    valueFrom: {
        secretKeyRef: {
            name: pulumi.Input<string>;
            key: string;
        };
    };
    value?: undefined;
} | {
    name: string;
    value: string;
    valueFrom?: undefined;
})[];
/**
 * The container fields every workload shares: name (the role), image, the spec's ports, resources from
 * its limits (else `defaultLimits`) and the security context.
 */
export declare function containerBase(spec: PartSpec, defaultLimits?: Limits): {
    name: string;
    image: string;
    ports: {
        name: string;
        containerPort: number;
    }[];
    resources: {
        requests: {
            cpu: string;
            memory: string;
        };
        limits: {
            cpu: string;
            memory: string;
        };
    };
    securityContext: {
        allowPrivilegeEscalation: boolean;
        privileged: boolean;
    };
};
/** The spec's named ports as container ports. */
export declare function containerPorts(spec: PartSpec): {
    name: string;
    containerPort: number;
}[];
/** An HTTP check as an httpGet probe on the named port it targets. */
export declare function httpGet(spec: PartSpec, check: HttpCheck): {
    path: string;
    port: string;
};
/** Liveness and readiness httpGet probes of a spec (its `probes` paths, else its health check). */
export declare function probePaths(spec: PartSpec): {
    live: ReturnType<typeof httpGet>;
    ready: ReturnType<typeof httpGet>;
};
/** A ConfigMap per file group of the spec (`<role>-<group>`), mounted at the group's directory. */
export interface ConfigVolume {
    name: string;
    configMap: {
        name: pulumi.Input<string>;
    };
    mountPath: string;
}
/**
 * Creates the spec's ConfigMaps (one per file group, named `<role>-<group>`, keys = file names) and
 * returns them as pod volumes with their mount paths, in the order of the groups' first files.
 */
export declare function configVolumes(ctx: KubeContext, spec: PartSpec): ConfigVolume[];
/** A PodDisruptionBudget allowing one pod of the role down at a time. */
export declare function disruptionBudget(ctx: KubeContext, role: string): k8s.policy.v1.PodDisruptionBudget;
