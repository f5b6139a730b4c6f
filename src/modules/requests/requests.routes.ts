export function requestsRoutes(): void {}
