// Each collection starts a whole AppHost; two at once would fight over the machine's two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
