// The prebuilt llama.cpp package ships JavaScript without type declarations.
declare module '@node-llama-cpp/linux-x64' {
  export function getBinsDir(): { binsDir: string; packageVersion: string };
}
