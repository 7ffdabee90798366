/** An experiment's stars and forks, as two items of its meta line. */
export function StarAndForkCounts({
  stars,
  forks,
}: {
  stars: number;
  forks: number;
}) {
  return (
    <>
      <span>
        ★ {stars} star{stars === 1 ? "" : "s"}
      </span>
      <span>
        {forks} fork{forks === 1 ? "" : "s"}
      </span>
    </>
  );
}
