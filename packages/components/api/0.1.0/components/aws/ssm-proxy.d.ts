/** The script run by bash with $1 = instance id, $2 = port, $3 = region. No single quotes inside. */
export declare const SSM_PROXY_SCRIPT: string;
/** `ProxyCommand` value for ssh (%h = instance id, %p = port, substituted by ssh). */
export declare function renderSsmProxyCommand(region: string): string;
