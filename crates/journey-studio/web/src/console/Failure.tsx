import type { ApiError } from "./api";

/** A page the server refused: not allowed (403), or it could not answer; its own words. */
export function Failure({ error }: { error: ApiError }) {
  const refused = error.status === 403;
  return (
    <section className="failure" role="alert" data-testid={refused ? "not-allowed" : "failure"}>
      <h2>{refused ? "Not allowed" : "Something went wrong"}</h2>
      <p>{error.message}</p>
    </section>
  );
}
