// Types of the fake Tencent Chat REST API (tencent.mjs) for the Node-side tests.
export declare function isTencentHost(host: string): boolean;
export declare function createFakeTencent(): { handle(request: Request): Promise<Response> };
