// Compiled by .ci/check-openapi-contract against the generated types: a partner's client gets
// typed errors (Problem, with the validation errors) and typed tokens, not `unknown`.
import type { components, operations } from "./generated/api";

type Problem = components["schemas"]["Problem"];
type ErrorStatus = 400 | 401 | 403 | 404 | 408 | 409 | 412 | 413 | 415 | 422 | 428 | 429 | 503;
type Body<R> = R extends { content: infer C } ? C[keyof C] : never;
type IsUnknown<T> = unknown extends T ? true : false;

// Every error answer of every operation is a Problem (an `unknown` one would make this fail).
type ErrorBodies = {
  [O in keyof operations]: {
    [S in keyof operations[O]["responses"] & ErrorStatus]: Body<operations[O]["responses"][S]>;
  }[keyof operations[O]["responses"] & ErrorStatus];
}[keyof operations];
type UnknownErrors = IsUnknown<ErrorBodies> extends true ? "an error body is unknown" : never;
const noUnknownErrors: [UnknownErrors] extends [never] ? true : false = true;
const everyErrorIsProblem: [ErrorBodies] extends [Problem] ? true : false = true;

// The validation errors a form can show next to its fields.
const fieldErrors: NonNullable<Problem["errors"]>[number]["field"] = "findings.health.rating";

// Tokens: the staff and the partner grants are typed.
type TokenForm = NonNullable<operations["issue_token"]["requestBody"]>["content"]["application/x-www-form-urlencoded"];
const partnerLogin: TokenForm = { grant_type: "client_credentials", client_id: "police-daxing", client_secret: "s" };
type Token = operations["issue_token"]["responses"][200]["content"]["application/json"];
const bearer: Token["token_type"] = "bearer";

export { noUnknownErrors, everyErrorIsProblem, fieldErrors, partnerLogin, bearer };
