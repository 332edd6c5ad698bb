// Re-exports the IPC binding types so UI code imports them from one place.
export type { AuthParam } from "./bindings/AuthParam";
export type { ClientAuthMethod } from "./bindings/ClientAuthMethod";
export type { DiscoveryInfo } from "./bindings/DiscoveryInfo";
export type { Field } from "./bindings/Field";
export type { FieldError } from "./bindings/FieldError";
export type { IdpConfig } from "./bindings/IdpConfig";
export type { IdpFields } from "./bindings/IdpFields";
export type { IdpId } from "./bindings/IdpId";
export type { IdpSummary } from "./bindings/IdpSummary";
export type { Problem } from "./bindings/Problem";
export type { ProblemCode } from "./bindings/ProblemCode";
export type { Protocol } from "./bindings/Protocol";
export type { SaveIdpRequest } from "./bindings/SaveIdpRequest";
export type { SaveOutcome } from "./bindings/SaveOutcome";
export type { SecretChange } from "./bindings/SecretChange";
