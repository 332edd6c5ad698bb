// State of the add/edit IdP form: the draft, the write-only client secret, field errors,
// discovery, dirtiness and saving.
// Invariants: the stored secret is never read back (only `hasSecret` is known); a secret
// typed by the admin leaves this class only inside a `save_idp` request (or the test login
// and readiness requests, which send what the save would); `dirty` compares
// what would be saved, so cosmetic edits (an empty parameter row) don't count.
import { SvelteSet } from "svelte/reactivity";
import { commands, toProblem } from "../ipc/commands";
import type {
  IssuerDiscovery,
  Field,
  FieldError,
  IdpConfig,
  IdpFields,
  IdpId,
  Problem,
  SecretChange,
  StartTestRequest,
} from "../ipc/types";
import { applyPresetFill, blankDraft, draftFrom, fieldsFrom, type Draft } from "./draft";
import { StartFrom } from "./start-from.svelte";

/** What happens to the stored secret: nothing, a new value, or removal. */
export type SecretMode = "keep" | "replace" | "clear";

export type SaveResult = "saved" | "saved_without_secret" | "failed";

export type FieldErrors = Partial<Record<Field, string>>;

export class IdpForm {
  id: IdpId | null = $state(null);
  /** The stored IdP being edited (null when adding). */
  original: IdpConfig | null = $state.raw(null);
  draft: Draft = $state(blankDraft());
  hasSecret = $state(false);
  secretMode: SecretMode = $state("keep");
  /** The new secret as typed; never filled from storage. */
  secretInput = $state("");

  errors: FieldErrors = $state({});
  /** A failure that concerns no single field, shown in a banner. */
  problem: Problem | null = $state(null);
  /** The fields were saved but the keyring refused the secret, or set it aside. */
  secretError: string | null = $state(null);
  /**
   * The core's word that the stored secret needs re-entry for the draft (its token endpoint's
   * origin or client ID is not the one the secret was entered for); null when it may be used.
   */
  secretSetAside: string | null = $state(null);
  saving = $state(false);

  discovering = $state(false);
  discovery: IssuerDiscovery | null = $state.raw(null);
  /** The issuer `discovery` was fetched for, as sent. */
  #discoveredFor = $state("");

  /** "Start from" a preset (offered when adding): its fill replaces the fetched discovery. */
  readonly startFrom = new StartFrom((fill) => {
    applyPresetFill(this.draft, fill);
    this.discovery = null;
  });

  /** Fields the admin has left at least once; on-blur feedback is shown only for them. */
  readonly touched = new SvelteSet<Field>();
  #showAllErrors = $state(false);
  #baseline = $state("");
  #checkSeq = 0;

  constructor(config: IdpConfig | null = null) {
    if (config) {
      this.#adopt(config);
      if (config.issuer) void this.startFrom.recognise(config.issuer);
      // A secret set aside before the form opened (by an import, a pull) shows at once.
      if (config.has_secret) void this.#checkSecret();
    } else this.#baseline = JSON.stringify(fieldsFrom(this.draft));
  }

  /** Asks the core whether the stored secret may be used with the draft. */
  async #checkSecret(): Promise<void> {
    try {
      this.#takeSecretCheck(await commands.checkIdp(this.id, this.fields));
    } catch {
      /* feedback only: Save and Test report the same */
    }
  }

  /** The one error the core's check gives about the stored secret (it is never sent to it). */
  #takeSecretCheck(found: FieldError[]): FieldError[] {
    this.secretSetAside = found.find((e) => e.field === "client_secret")?.message ?? null;
    return found.filter((e) => e.field !== "client_secret");
  }

  #adopt(config: IdpConfig): void {
    this.id = config.id;
    this.original = config;
    this.hasSecret = config.has_secret;
    this.draft = draftFrom(config);
    this.#baseline = JSON.stringify(fieldsFrom(this.draft));
  }

  get isNew(): boolean {
    return this.id === null;
  }

  get fields(): IdpFields {
    return fieldsFrom(this.draft);
  }

  get usesSecret(): boolean {
    const method = this.draft.client_auth_method;
    return method === "client_secret_basic" || method === "client_secret_post";
  }

  /** Whether the client signs with its own key (private_key_jwt) instead of a secret. */
  get usesKey(): boolean {
    return this.draft.client_auth_method === "private_key_jwt";
  }

  /** Whether the password input is shown: no stored secret yet, or the admin chose to replace it. */
  get secretInputShown(): boolean {
    return this.usesSecret && (!this.hasSecret || this.secretMode === "replace");
  }

  get secretChange(): SecretChange {
    if (!this.usesSecret) return { kind: "keep" };
    if (this.hasSecret && this.secretMode === "clear") return { kind: "clear" };
    if (this.secretInputShown && this.secretInput !== "") {
      return { kind: "replace", value: this.secretInput };
    }
    return { kind: "keep" };
  }

  /** Whether saving would change anything. Derived, so watchers rerun only when it flips. */
  readonly dirty: boolean = $derived(
    JSON.stringify(fieldsFrom(this.draft)) !== this.#baseline || this.secretChange.kind !== "keep",
  );

  /** What "Test Configuration" and "Check readiness" test: the draft as Save would send it. */
  get testRequest(): StartTestRequest {
    return { id: this.id, fields: this.fields, secret: this.secretChange };
  }

  /**
   * What to check before saving: the core's advice for the chosen authentication method (PKCE
   * and what the IdP advertises are judged in Rust, like the readiness checks and the login),
   * and whether the issuer was edited away from the one the document was fetched for.
   */
  get warnings(): string[] {
    if (!this.discovery || this.draft.protocol !== "oidc") return [];
    const { info, advice } = this.discovery;
    const method = advice.unadvertised_methods.find((m) => m.method === this.draft.client_auth_method);
    const warnings = [advice.pkce, method?.warning].filter((w): w is string => w != null);
    // The core checked the document against the issuer it was fetched for (exactly, or as the
    // multi-tenant template a preset declares): only an edit since then can break the match.
    if (this.#discoveredFor !== this.draft.issuer) {
      warnings.push(
        `The IdP identifies itself as ${info.issuer}, not ${this.draft.issuer}. The issuer must match exactly, including any trailing slash.`,
      );
    }
    return warnings;
  }

  startReplacingSecret(): void {
    this.secretMode = "replace";
    this.secretInput = "";
  }

  removeSecret(): void {
    this.secretMode = "clear";
    this.secretInput = "";
  }

  /** Back to the stored secret as it is. */
  keepSecret(): void {
    this.secretMode = "keep";
    this.secretInput = "";
    delete this.errors.client_secret;
  }

  #setErrors(list: FieldError[], keep: Field[] = []): void {
    const next: FieldErrors = {};
    for (const f of keep) if (this.errors[f]) next[f] = this.errors[f];
    for (const e of list) {
      if (!this.#showAllErrors && !this.touched.has(e.field)) continue;
      // Several messages for one field read as one.
      next[e.field] = next[e.field] ? `${next[e.field]} ${e.message}` : e.message;
    }
    this.errors = next;
  }

  /**
   * On-blur feedback: the core's validation of the current draft, shown for the fields the
   * admin has visited. Stale answers (an older blur) are dropped; a failing check is silent,
   * since Save reports the same problems.
   */
  async check(field: Field): Promise<void> {
    this.touched.add(field);
    const seq = ++this.#checkSeq;
    try {
      const found = await commands.checkIdp(this.id, this.fields);
      if (seq !== this.#checkSeq) return;
      // The core cannot check a secret it hasn't been given; keep what Save reported.
      this.#setErrors(this.#takeSecretCheck(found), ["client_secret"]);
    } catch {
      /* feedback only */
    }
  }

  async discover(): Promise<boolean> {
    const issuer = this.draft.issuer;
    if (issuer.trim() === "") {
      this.errors.issuer = "Enter the issuer URL, then fetch its configuration.";
      return false;
    }
    this.discovering = true;
    delete this.errors.issuer;
    try {
      const found = await commands.discoverIssuer(issuer.trim());
      const info = found.info;
      this.discovery = found;
      this.#discoveredFor = issuer.trim();
      this.draft.authorization_endpoint = info.authorization_endpoint;
      this.draft.token_endpoint = info.token_endpoint;
      if (info.userinfo_endpoint !== null) this.draft.userinfo_endpoint = info.userinfo_endpoint;
      this.draft.jwks_uri = info.jwks_uri;
      for (const f of ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"] as const) {
        delete this.errors[f];
      }
      return true;
    } catch (error) {
      const problem = toProblem(error);
      this.discovery = null;
      const own = problem.fields.find((f) => f.field === "issuer");
      this.errors.issuer = own?.message ?? problem.message;
      return false;
    } finally {
      this.discovering = false;
    }
  }

  /**
   * Shows a command's `validation` problem next to the fields it names, for every field
   * (visited or not), as Save does. Returns false for any other problem: the caller reports it.
   */
  showFieldProblems(problem: Problem): boolean {
    if (problem.code !== "validation" || problem.fields.length === 0) return false;
    // A check still in flight describes an older draft; drop its answer.
    this.#checkSeq += 1;
    this.#showAllErrors = true;
    this.#setErrors(problem.fields);
    return true;
  }

  /**
   * Saves the draft and the secret change. A validation problem marks the fields; any other
   * problem goes to the banner. When the keyring refuses the secret the IdP itself was saved:
   * the form now edits that stored IdP (so a retry updates rather than duplicates it) and
   * keeps the typed secret for another try.
   */
  async save(): Promise<SaveResult> {
    if (this.saving) return "failed";
    this.saving = true;
    // A check still in flight describes an older draft than this save; drop its answer.
    this.#checkSeq += 1;
    this.problem = null;
    this.secretError = null;
    // What the save answers about the secret replaces any earlier check.
    this.secretSetAside = null;
    try {
      const outcome = await commands.saveIdp({ id: this.id, fields: this.fields, secret: this.secretChange });
      const sentSecret = this.secretChange.kind !== "keep";
      if (outcome.secret_error !== null) {
        const typed = this.secretInput;
        const mode = this.secretMode;
        this.#adopt(outcome.idp);
        this.secretMode = typed !== "" ? "replace" : mode;
        this.secretInput = typed;
        this.secretError = outcome.secret_error;
        return "saved_without_secret";
      }
      this.#adopt(outcome.idp);
      if (sentSecret) this.keepSecret();
      this.errors = {};
      return "saved";
    } catch (error) {
      const problem = toProblem(error);
      if (!this.showFieldProblems(problem)) this.problem = problem;
      return "failed";
    } finally {
      this.saving = false;
    }
  }
}
