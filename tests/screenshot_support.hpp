#pragma once
// Screenshots in GUI tests: load a PNG the app wrote and count the pixels of a colour.
#include "../gui/state_colors.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_set>

namespace test_support {

struct image {
    int width = 0, height = 0;
    std::unique_ptr<unsigned char, void (*)(void*)> pixels{nullptr, stbi_image_free};
    bool ok() const { return pixels != nullptr; }
};

inline image load_png(const std::string& path) {
    image img;
    int channels = 0;
    img.pixels.reset(stbi_load(path.c_str(), &img.width, &img.height, &channels, 3));
    return img;
}

// Pixels within `tolerance` of c in every channel.
inline std::size_t count_near(const image& img, coroscope::gui::rgb c, int tolerance = 10) {
    std::size_t n = 0;
    const unsigned char* p = img.pixels.get();
    for (std::size_t i = 0, end = static_cast<std::size_t>(img.width) * img.height; i < end; ++i, p += 3) {
        if (std::abs(p[0] - c.r) <= tolerance && std::abs(p[1] - c.g) <= tolerance && std::abs(p[2] - c.b) <= tolerance)
            ++n;
    }
    return n;
}

inline std::size_t distinct_colors(const image& img) {
    std::unordered_set<std::uint32_t> colors;
    const unsigned char* p = img.pixels.get();
    for (std::size_t i = 0, end = static_cast<std::size_t>(img.width) * img.height; i < end; ++i, p += 3)
        colors.insert(static_cast<std::uint32_t>(p[0]) << 16 | static_cast<std::uint32_t>(p[1]) << 8 | p[2]);
    return colors.size();
}

} // namespace test_support
