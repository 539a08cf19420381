// Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without libFuzzer, so that every
// build (gcc included) runs the seed corpus and the regression inputs as an ordinary test.
//   replay_NAME [--max-seconds S] DIR_OR_FILE...
// Fails (exit 1) when an input takes longer than S seconds, or when there was nothing to replay;
// a crash fails it by itself.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

namespace {

std::vector<std::filesystem::path> inputsUnder(const std::filesystem::path &p)
{
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) {
        out.push_back(p);
    } else if (std::filesystem::is_directory(p, ec)) {
        for (const auto &e : std::filesystem::recursive_directory_iterator(p, ec))
            if (e.is_regular_file(ec) && e.path().filename().string().front() != '.')
                out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    double maxSeconds = 5.0;
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--max-seconds" && i + 1 < argc) {
            maxSeconds = std::atof(argv[++i]);
            continue;
        }
        const auto found = inputsUnder(a);
        inputs.insert(inputs.end(), found.begin(), found.end());
    }
    if (inputs.empty()) {
        std::fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    int slow = 0;
    double slowest = 0;
    std::string slowestName;
    for (const auto &path : inputs) {
        std::ifstream in(path, std::ios::binary);
        const std::vector<char> bytes { std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>() };
        const auto start = std::chrono::steady_clock::now();
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size());
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (s > slowest) {
            slowest = s;
            slowestName = path.string();
        }
        if (s > maxSeconds) {
            std::fprintf(stderr, "replay: %s took %.2f s (bound %.2f s)\n", path.c_str(), s, maxSeconds);
            ++slow;
        }
    }
    std::printf("replay: %zu inputs, slowest %.3f s (%s), %d over the bound\n", inputs.size(), slowest,
        slowestName.c_str(), slow);
    return slow ? 1 : 0;
}
