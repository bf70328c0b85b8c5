// Three tests at a time on the suite's two cores: a test spends much of its time waiting on PostgreSQL, Borg or a
// daemon's next round, and a third keeps the cores busy meanwhile. Measured from fresh clones: 21 min 59 s in all
// at 338afb9 with two at a time; 17 min 58 s at 4edb8bb (fixed pgbench waits cut) with three. Four were no better
// once Borg's self test no longer ran in every command: 13 min 32 s in all against 12 min 38 s with three (2026-12-07).
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
