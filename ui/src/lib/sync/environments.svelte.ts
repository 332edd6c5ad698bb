// State of "Environments" in Settings and of "Promote" in Pending changes. The core decides
// everything (names, places, which IdP may be promoted and why not); these classes keep what it
// said and turn its refusals into messages next to the fields they concern.
import { commands, toProblem } from "../ipc/commands";
import type { Environment, Problem, PromoteReport, Promotion } from "../ipc/types";
import { fieldErrors } from "../idps/labels";

export type EnvironmentField = "environment_name" | "backend_url" | "workspace_id" | "api_key";
const FIELDS: readonly EnvironmentField[] = ["environment_name", "backend_url", "workspace_id", "api_key"];

export class EnvironmentsPanel {
  loadState: "loading" | "ready" | "failed" = $state("loading");
  environments: Environment[] = $state([]);
  name = $state("");
  backendUrl = $state("");
  workspaceId = $state("");
  apiKey = $state("");
  errors: Partial<Record<EnvironmentField, string>> = $state({});
  /** A refusal that concerns no field (an unknown or current environment, storage, keyring). */
  problem: Problem | null = $state(null);
  busy = $state(false);

  readonly current: Environment | null = $derived(this.environments.find((e) => e.current) ?? null);

  async load(): Promise<void> {
    try {
      this.environments = await commands.listEnvironments();
      this.loadState = "ready";
    } catch (error) {
      this.problem = toProblem(error);
      this.loadState = "failed";
    }
  }

  async #run(action: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    this.problem = null;
    try {
      await action();
      this.environments = await commands.listEnvironments();
      return true;
    } catch (error) {
      const problem = toProblem(error);
      const errors = fieldErrors(problem, FIELDS);
      if (Object.keys(errors).length > 0) this.errors = errors;
      else this.problem = problem;
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Adds the environment entered in the form; the form is cleared once it is stored. */
  async add(): Promise<boolean> {
    this.errors = {};
    const added = await this.#run(() =>
      commands.addEnvironment(
        this.name.trim(),
        { backend_url: this.backendUrl.trim(), workspace_id: this.workspaceId.trim() },
        this.apiKey === "" ? null : this.apiKey,
      ),
    );
    if (added) {
      this.name = this.backendUrl = this.workspaceId = this.apiKey = "";
    }
    return added;
  }

  makeCurrent(name: string): Promise<boolean> {
    return this.#run(() => commands.useEnvironment(name));
  }

  remove(name: string): Promise<boolean> {
    return this.#run(() => commands.removeEnvironment(name));
  }
}

export class PromotionPanel {
  plan: Promotion | null = $state(null);
  report: PromoteReport | null = $state(null);
  problem: Problem | null = $state(null);
  loading = $state(false);
  promoting = $state(false);

  readonly eligible = $derived(this.plan?.items.filter((i) => i.refusal === null).length ?? 0);

  /** Each IdP's eligibility for a promotion to the next environment. */
  async load(): Promise<void> {
    this.loading = true;
    this.problem = null;
    try {
      this.plan = await commands.promotionPlan(null, []);
    } catch (error) {
      this.plan = null;
      this.problem = toProblem(error);
    } finally {
      this.loading = false;
    }
  }

  /** Promotes the eligible IdPs, then shows the plan again (the target has them now). */
  async promote(): Promise<void> {
    this.promoting = true;
    this.problem = null;
    try {
      this.report = await commands.promote(null, []);
      this.plan = this.report.promotion;
    } catch (error) {
      this.problem = toProblem(error);
    } finally {
      this.promoting = false;
    }
  }
}

/** What a promotion did, in a sentence. */
export function promoteSummary(report: PromoteReport): string {
  const { push, promotion } = report;
  const left = push.conflicts.length + push.failed.length + push.waiting.length;
  const sent = `Promoted ${push.pushed.length} IdP(s) to ${promotion.to}.`;
  return left > 0 ? `${sent} ${left} IdP(s) are left in ${promotion.to}'s pending changes.` : sent;
}
