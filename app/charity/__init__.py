"""慈善项目资金: applications to the district charity association for project funds."""
