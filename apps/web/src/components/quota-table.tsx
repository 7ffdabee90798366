interface QuotaStanding {
  limits: {
    computeSecondsPerDay: number;
    maxConcurrentRuns: number;
    maxRunsPerDay: number;
    maxResultBytes: number;
  } | null;
  activeRuns: number;
  runsToday: number;
  secondsToday: number;
  resultBytesToday: number;
}

const bytes = (n: number) =>
  n >= 1024 ** 3
    ? `${(n / 1024 ** 3).toFixed(1)} GiB`
    : n >= 1024 ** 2
      ? `${(n / 1024 ** 2).toFixed(1)} MiB`
      : `${(n / 1024).toFixed(1)} KiB`;

/** An account's quota against today's use (UTC day). */
export function QuotaTable({ standing }: { standing: QuotaStanding }) {
  const { limits } = standing;
  if (!limits)
    return (
      <p className="muted" data-testid="no-quota">
        No quota yet: an administrator grants one on approving your access
        application.
      </p>
    );
  return (
    <table className="grid" data-testid="quota">
      <caption className="visually-hidden">Quota and today&apos;s use</caption>
      <thead>
        <tr>
          <th scope="col">Limit</th>
          <th scope="col">Used today</th>
          <th scope="col">Allowed</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope="row">Compute seconds per day</th>
          <td className="num">{standing.secondsToday.toFixed(2)}</td>
          <td className="num">{limits.computeSecondsPerDay}</td>
        </tr>
        <tr>
          <th scope="row">Runs per day</th>
          <td className="num">{standing.runsToday}</td>
          <td className="num">{limits.maxRunsPerDay}</td>
        </tr>
        <tr>
          <th scope="row">Concurrent runs</th>
          <td className="num">{standing.activeRuns}</td>
          <td className="num">{limits.maxConcurrentRuns}</td>
        </tr>
        <tr>
          <th scope="row">Result bytes per day</th>
          <td className="num">{bytes(standing.resultBytesToday)}</td>
          <td className="num">{bytes(limits.maxResultBytes)}</td>
        </tr>
      </tbody>
    </table>
  );
}
