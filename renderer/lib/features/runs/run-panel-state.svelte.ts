/** Whether the run details are unfolded: kept while moving between runs. */
export const detailsOpen = $state({ value: true });
